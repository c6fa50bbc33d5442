import Foundation
import LoomTestSupport
import Testing
@testable import LoomCloud

// What a Fargate cluster makes and removes, call by call, against moto: the ECS cluster, a role,
// a log group, a security group in the default VPC, a task definition and a task, each tagged.

@Suite struct AWSResourcesMotoTests {
    @Test func everyResourceIsMadeFoundAndRemoved() async throws {
        try await withMoto(noAuthRequests: 1_000_000) { moto in
            let client = AWSClient(configuration: AWSConfiguration(
                credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "test"), region: "eu-west-1", endpoints: ["": moto.endpoint]))
            let ecs = ECSAPI(client: client), ec2 = EC2API(client: client), iam = IAMAPI(client: client), logs = LogsAPI(client: client)
            let tags = ["createdBy": "loom", "loom-cluster": "test"]
            let ecsTags = tags.sorted { $0.key < $1.key }.map { ECSAPI.Tag(key: $0.key, value: $0.value) }

            let cluster = try await ecs.createCluster(name: "loom-test", tags: ecsTags)
            #expect(try await ecs.describeClusters(["loom-test"]).map(\.clusterArn) == [cluster.clusterArn])

            let role = try await iam.ensureRole("loom-test-execution", description: "Loom's tasks", tags: tags)
            #expect(try await iam.ensureRole("loom-test-execution", description: "Loom's tasks", tags: tags) == role, "found the second time")
            #expect(try await iam.roles(prefix: "loom-test-") == ["loom-test-execution"])

            try await logs.ensureGroup("/loom/test", retentionDays: 30, tags: tags)
            try await logs.ensureGroup("/loom/test", retentionDays: 30, tags: tags)
            #expect(try await logs.events(group: "/loom/test", stream: "nothing-yet").isEmpty)

            let vpc = try #require(try await ec2.defaultVPC())
            let subnets = try await ec2.subnets(of: vpc)
            #expect(!subnets.isEmpty)
            let group = try await ec2.createSecurityGroup(name: "loom-test", description: "Loom cluster test", vpc: vpc, tags: tags)
            try await ec2.authorizeIngress(group: group, ports: [8786...8787], from: "127.0.0.1/32")
            #expect(try await ec2.securityGroups(taggedWith: "loom-cluster", "test") == [group])

            let size = try FargateSize(cpu: 1024, memory: 4096)
            let definition = try await ecs.registerTaskDefinition(
                family: "loom-test-worker", size: size,
                container: ECSAPI.ContainerDefinition(name: "loom", image: "example/loom:1", cpu: size.cpu, memory: size.memory,
                                                      logConfiguration: .init(group: "/loom/test", region: "eu-west-1", streamPrefix: "loom")),
                executionRoleArn: role, taskRoleArn: role, tags: ecsTags)
            #expect(try await ecs.listTaskDefinitions(familyPrefix: "loom-test-worker") == [definition.taskDefinitionArn])

            let task = try await ecs.runTask(
                cluster: cluster.clusterArn, taskDefinition: definition.taskDefinitionArn,
                network: .init(subnets: subnets, securityGroups: [group], publicIP: false),
                override: .init(name: "loom", command: ["loom", "worker", "tcp://127.0.0.1:1"]), tags: ecsTags, startedBy: "loom-test")
            let described = try #require(try await ecs.describeTasks(cluster: cluster.clusterArn, [task.taskArn]).first)
            #expect(described.overrides?.containerOverrides?.first?.command == ["loom", "worker", "tcp://127.0.0.1:1"])
            #expect(Set(described.tags ?? []) == Set(ecsTags))
            #expect(try await ecs.listTasks(cluster: cluster.clusterArn, startedBy: "loom-test") == [task.taskArn])
            if let interface = described.networkInterfaceID {
                // moto's address is fiction: read, never connected to.
                #expect(try await ec2.addresses(ofInterface: interface).private != nil)
            }
            try await ecs.stopTask(cluster: cluster.clusterArn, task: task.taskArn, reason: "the test is done")
            let stopped = try #require(try await ecs.describeTasks(cluster: cluster.clusterArn, [task.taskArn]).first)
            #expect(stopped.desiredStatus == "STOPPED" && stopped.stoppedReason == "the test is done")

            try await ecs.deregisterTaskDefinition(definition.taskDefinitionArn)
            #expect(try await ecs.listTaskDefinitions(familyPrefix: "loom-test-worker").isEmpty)
            try await ec2.deleteSecurityGroup(group)
            #expect(try await ec2.securityGroups(taggedWith: "loom-cluster", "test").isEmpty)
            try await logs.deleteGroup("/loom/test")
            try await logs.deleteGroup("/loom/test")
            try await iam.deleteRole("loom-test-execution")
            try await iam.deleteRole("loom-test-execution")
            #expect(try await iam.roles(prefix: "loom-test-").isEmpty)
            try await ecs.deleteCluster(cluster.clusterArn)
            #expect(try await ecs.describeClusters(["loom-test"]).allSatisfy { $0.status == "INACTIVE" })
        }
    }
}
