import Foundation
import Loom
import LoomTestSupport
import Testing

// FargateCluster against moto, with the agent running its tasks as worker processes of the
// test executable (moto runs no containers).

@Suite(.serialized) struct FargateClusterTests {
    static let loom = URL(fileURLWithPath: TestTasks.workerExecutable).deletingLastPathComponent().appendingPathComponent("loom").path

    /// moto with the agent running its tasks, both stopped when `body` ends.
    static func withAgent<T>(_ body: (MotoServer, ECSTaskAgent) async throws -> T) async throws -> T {
        try await withMoto(noAuthRequests: 1_000_000) { moto in
            let agent = ECSTaskAgent(moto: moto, executable: TestTasks.workerExecutable)
            try await agent.start(region: "eu-west-1")
            do {
                let result = try await body(moto, agent)
                await agent.stop()
                return result
            } catch {
                await agent.stop()
                throw error
            }
        }
    }

    /// Runs `body`, then closes `cluster` however it ended.
    static func closing<T>(_ cluster: some Cluster, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await cluster.close()
            return result
        } catch {
            await cluster.close()
            throw error
        }
    }

    static func configuration(_ moto: MotoServer) -> AWSConfiguration {
        AWSConfiguration(credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "test"), region: "eu-west-1", endpoints: ["": moto.endpoint])
    }

    @Test func aWrongSizeFailsBeforeAnyRequest() async throws {
        // An endpoint nothing listens on: a request would fail as unreachable, after retries.
        let nowhere = AWSConfiguration(credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"), region: "eu-west-1",
                                       endpoints: ["": URL(string: "http://127.0.0.1:9/")!])
        let error = await #expect(throws: LoomError.self) {
            try await FargateCluster(image: "example/loom:1", workerCPU: 1024, workerMemory: 16384, configuration: nowhere)
        }
        #expect(error?.message.contains("workerMemory 16384 MiB does not go with workerCPU 1024") == true, "\(String(describing: error))")
    }

    @Test func scalesRunsWorkAndLeavesNothingBehind() async throws {
        try await Self.withAgent { moto, agent in
            let configuration = Self.configuration(moto)
            let cluster = try await FargateCluster(
                name: "loom-fargate-test", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, executable: "/app/loom",
                configuration: configuration, schedulerHost: "127.0.0.1")
            try await Self.closing(cluster) {
                try await cluster.scale(3)
                let client = try await Client(cluster, setAsDefault: false)
                #expect(try await client.schedulerInfo().count == 3)
                let squares = try await client.gather(try await client.map(TestTasks.inc, Array(0..<200)))
                #expect(squares == Array(1...200))
                #expect(agent.processes.count == 3)
                let commands = cluster.ecsTasks.compactMap { $0.overrides?.containerOverrides?.first?.command }
                #expect(commands.count == 3 && commands.allSatisfy { $0.prefix(2) == ["/app/loom", "worker"] && $0.contains("--death-timeout") })
                // Each task's output, through its awslogs stream.
                try await eventually("every worker's log has its start") {
                    let logs = try await cluster.logs()
                    return logs.count == 3 && logs.values.allSatisfy { $0.contains { $0.message.contains("worker ready") } }
                }
                try await cluster.scale(1)
                #expect(try await client.schedulerInfo().count == 1)
                let ecs = ECSAPI(client: AWSClient(configuration: configuration))
                #expect(try await ecs.listTasks(cluster: cluster.clusterARN).count == 1)
                await client.close()
            }
            #expect(try await AWSClusterResources.cleanup(name: "loom-fargate-test", configuration: configuration).isEmpty, "close() left something")
        }
    }

    @Test func aSchedulerInATaskIsFoundAtItsInterfaceAndRemovedWithTheRest() async throws {
        try await Self.withAgent { moto, agent in
            let configuration = Self.configuration(moto)
            let cluster = try await FargateCluster(
                name: "loom-fargate-remote", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, scheduler: .task(cpu: 512, memory: 1024),
                executable: "/app/loom", configuration: configuration, usePrivateIP: true, addressResolver: { agent.resolve($0) })
            try await Self.closing(cluster) {
                // The workers were told ECS's address of the scheduler, the client reached it through the resolver.
                #expect(cluster.schedulerAddress.port == FargateCluster.schedulerPort && cluster.schedulerAddress.host != "127.0.0.1")
                try await cluster.scale(2)
                let client = try await Client(address: agent.resolve(cluster.schedulerAddress).description, setAsDefault: false)
                #expect(try await client.schedulerInfo().count == 2)
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<50))) == Array(1...50))
                let ecs = ECSAPI(client: AWSClient(configuration: configuration))
                #expect(try await ecs.listTasks(cluster: cluster.clusterARN).count == 3, "the scheduler's task and two workers'")
                await client.close()
            }
            #expect(try await AWSClusterResources.leftovers(name: "loom-fargate-remote", configuration: configuration).isEmpty)
            try await eventually("every task's process ended") { agent.processes.isEmpty }
        }
    }

    @Test func aSchedulerInATaskTakesItsCertificatesFromSecretsToo() async throws {
        try await Self.withAgent { moto, agent in
            let configuration = Self.configuration(moto)
            let security = try Security.temporary()
            let cluster = try await FargateCluster(
                name: "loom-fargate-remote-tls", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, scheduler: .task(cpu: 512, memory: 1024),
                executable: "/app/loom", configuration: configuration, usePrivateIP: true, addressResolver: { agent.resolve($0) }, security: security)
            try await Self.closing(cluster) {
                #expect(cluster.schedulerAddress.scheme == .tls)
                try await cluster.scale(1)
                let client = try await Client(address: agent.resolve(cluster.schedulerAddress).description, security: security, setAsDefault: false)
                let workers = try await client.schedulerInfo()
                #expect(workers.count == 1 && workers.allSatisfy { $0.address.hasPrefix("tls://") }, "\(workers.map(\.address))")
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<20))) == Array(1...20))
                await client.close()
                // Without a certificate of the cluster's CA the scheduler refuses the connection.
                await #expect(throws: (any Error).self) {
                    try await Client(address: agent.resolve(cluster.schedulerAddress).description, security: try Security.temporary(), setAsDefault: false)
                }
            }
            #expect(try await AWSClusterResources.leftovers(name: "loom-fargate-remote-tls", configuration: configuration).isEmpty, "secrets removed too")
        }
    }

    @Test func rolesGivenAreUsedAndKeptATaskRoleMadeIsRemoved() async throws {
        struct Request: Encodable { var taskDefinition: String }
        struct Definition: Decodable { var executionRoleArn: String?; var taskRoleArn: String? }
        struct Answer: Decodable { var taskDefinition: Definition }
        try await withMoto(noAuthRequests: 1_000_000) { moto in
            let configuration = Self.configuration(moto)
            let client = AWSClient(configuration: configuration)
            let iam = IAMAPI(client: client)
            let mine = try await iam.ensureRole("users-execution-role", description: "the user's", tags: [:])
            let cluster = try await FargateCluster(
                name: "loom-fargate-roles", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, configuration: configuration,
                schedulerHost: "127.0.0.1",
                roles: ECSRoles(executionRoleARN: mine, taskRolePolicies: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]))
            try await Self.closing(cluster) {
                let families = try await ECSAPI(client: client).listTaskDefinitions(familyPrefix: "loom-fargate-roles-worker")
                let definition = try await client.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "DescribeTaskDefinition",
                                                       Request(taskDefinition: try #require(families.first)), as: Answer.self).taskDefinition
                #expect(definition.executionRoleArn == mine)
                #expect(definition.taskRoleArn?.hasSuffix(":role/loom-fargate-roles-task") == true, "\(String(describing: definition.taskRoleArn))")
                #expect(try await iam.roles(prefix: "loom-fargate-roles") == ["loom-fargate-roles-task"], "no execution role made")
            }
            #expect(try await AWSClusterResources.leftovers(name: "loom-fargate-roles", configuration: configuration).isEmpty, "the task role removed")
            #expect(try await iam.roles(prefix: "users-execution-role") == ["users-execution-role"], "the user's role stays")
        }
    }

    @Test func withTLSTheCertificatesReachTheTasksAsSecretsNeverInClear() async throws {
        struct Request: Encodable { var taskDefinition: String }
        struct Container: Decodable { var environment: [ECSAPI.KeyValue]?; var secrets: [ECSAPI.Secret]? }
        struct Definition: Decodable { var containerDefinitions: [Container] }
        struct Answer: Decodable { var taskDefinition: Definition }
        try await Self.withAgent { moto, agent in
            let configuration = Self.configuration(moto)
            let cluster = try await FargateCluster(
                name: "loom-fargate-tls", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, executable: "/app/loom",
                configuration: configuration, schedulerHost: "127.0.0.1", security: try Security.temporary())
            try await Self.closing(cluster) {
                #expect(cluster.schedulerAddress.scheme == .tls)
                try await cluster.scale(2)
                let client = try await Client(cluster, setAsDefault: false)
                let workers = try await client.schedulerInfo()
                #expect(workers.count == 2 && workers.allSatisfy { $0.address.hasPrefix("tls://") }, "\(workers.map(\.address))")
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<20))) == Array(1...20))
                let client2 = AWSClient(configuration: configuration)
                let arn = try #require(cluster.ecsTasks.first?.taskDefinitionArn)
                let definition = try await client2.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "DescribeTaskDefinition",
                                                        Request(taskDefinition: arn), as: Answer.self).taskDefinition
                let container = try #require(definition.containerDefinitions.first)
                #expect(Set((container.secrets ?? []).map(\.name)) == ["LOOM_COMM__TLS__CA_FILE", "LOOM_COMM__TLS__WORKER__CERT", "LOOM_COMM__TLS__WORKER__KEY"])
                #expect((container.secrets ?? []).allSatisfy { $0.valueFrom.hasPrefix("arn:aws:secretsmanager:") })
                #expect(!(container.environment ?? []).contains { $0.value.contains("BEGIN") }, "no certificate in the task definition")
                await client.close()
            }
            #expect(try await AWSClusterResources.leftovers(name: "loom-fargate-tls", configuration: configuration).isEmpty, "secrets removed too")
        }
    }

    @Test func aSchedulerSizeFargateCannotRunFailsFirst() async throws {
        let nowhere = AWSConfiguration(credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"), region: "eu-west-1",
                                       endpoints: ["": URL(string: "http://127.0.0.1:9/")!])
        let error = await #expect(throws: LoomError.self) {
            try await FargateCluster(image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, scheduler: .task(cpu: 256, memory: 4096), configuration: nowhere)
        }
        #expect(error?.message.contains("schedulerMemory 4096 MiB does not go with schedulerCPU 256") == true, "\(String(describing: error))")
    }

    @Test func aTaskStoppedBehindLoomsBackIsReplacedWhileAdapting() async throws {
        try await Self.withAgent { moto, agent in
            let configuration = Self.configuration(moto)
            Dashboard.installAsDefault()  // as Loom.bootstrap does in a program
            let cluster = try await FargateCluster(
                name: "loom-fargate-adapt", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, executable: "/app/loom",
                configuration: configuration, schedulerHost: "127.0.0.1", dashboardAddress: "127.0.0.1:0")
            try await Self.closing(cluster) {
                cluster.adapt(minimum: 2, maximum: 2)
                let client = try await Client(cluster, setAsDefault: false)
                try await client.waitForWorkers(2, timeout: .seconds(120))
                let ecs = ECSAPI(client: AWSClient(configuration: configuration))
                let first = try await ecs.listTasks(cluster: cluster.clusterARN)
                #expect(first.count == 2)
                // A spot reclaim, as ECS reports it.
                try await ecs.stopTask(cluster: cluster.clusterARN, task: first[0], reason: "Your Spot Task was interrupted.")
                try await eventually("a new task replaces the stopped one", timeout: .seconds(120)) {
                    let now = try await ecs.listTasks(cluster: cluster.clusterARN)
                    return now.count == 2 && !now.contains(first[0])
                }
                try await client.waitForWorkers(2, timeout: .seconds(120))
                let stopped = try #require(cluster.ecsTasks.first { $0.taskArn == first[0] })
                #expect(stopped.stoppedReason == "Your Spot Task was interrupted.")
                // The dashboard's cloud page says which task stopped and why.
                let link = try #require(cluster.dashboardLink).replacingOccurrences(of: "/status", with: "/cloud")
                let page = try await chromium(link, ["--dump-dom"])
                #expect(page.output.contains("Your Spot Task was interrupted.") && page.output.contains("2 tasks running"), "\(page.output.suffix(2000))")
                await client.close()
            }
        }
    }

    /// Runs a program with a one-worker FargateCluster named `name` and SIGKILLs it once ready.
    static func killProgram(withCluster name: String, moto: MotoServer) async throws {
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("loom-fargate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let program = Process()
        program.executableURL = URL(fileURLWithPath: TestTasks.workerExecutable)
        program.arguments = ["fargate-client", moto.endpoint.absoluteString, name, ready]
        let lifeline = Pipe()
        program.standardInput = lifeline
        try program.run()
        defer { if program.isRunning { kill(program.processIdentifier, SIGKILL) }; program.waitUntilExit() }
        try await eventually("the program's cluster has its worker", timeout: .seconds(120)) { FileManager.default.fileExists(atPath: ready) }
        kill(program.processIdentifier, SIGKILL)
    }

    @Test func whatAKilledProgramLeftIsListedAndRemovedByTheNextStartOrTheCommand() async throws {
        try await Self.withAgent { moto, agent in
            let environment = [
                "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "eu-west-1",
                "AWS_ENDPOINT_URL": moto.endpoint.absoluteString,
            ]
            func cleanup(_ arguments: String...) async throws -> String {
                let result = try await runProcess(Self.loom, ["cloud", "cleanup", "--cluster", "loom-fargate-killed"] + arguments, environment: environment)
                #expect(result.status == 0, "\(result.error)")
                return result.output
            }
            let configuration = Self.configuration(moto)

            try await Self.killProgram(withCluster: "loom-fargate-killed", moto: moto)
            let listed = try await cleanup()
            for kind in ["ecs-cluster/", "task-definition/", "security-group/", "role/loom-fargate-killed-execution", "log-group//loom/loom-fargate-killed"] {
                #expect(listed.contains("found \(kind)"), "\(kind) in \(listed)")
            }
            #expect(listed.contains("run again with --yes"))
            #expect(try await AWSClusterResources.leftovers(name: "loom-fargate-killed", configuration: configuration).contains { $0.hasPrefix("ecs-cluster/") },
                    "listing removes nothing")
            // The next start under the name removes it all, then makes its own.
            let again = try await FargateCluster(
                name: "loom-fargate-killed", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, executable: "/app/loom",
                configuration: configuration, schedulerHost: "127.0.0.1")
            try await eventually("the killed program's worker is gone") { agent.processes.isEmpty }
            await again.close()
            #expect(try await cleanup().contains("nothing of cluster loom-fargate-killed"))

            try await Self.killProgram(withCluster: "loom-fargate-killed", moto: moto)
            let removed = try await cleanup("--yes")
            #expect(removed.contains("removed ecs-cluster/") && removed.contains("removed security-group/"), "\(removed)")
            try await eventually("the killed program's worker is gone") { agent.processes.isEmpty }
            #expect(try await cleanup().contains("nothing of cluster loom-fargate-killed"))
        }
    }
}
