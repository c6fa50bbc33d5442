import Foundation
import LoomCore
import LoomDistributed
import Logging
import Synchronization

/// Workers as AWS Fargate tasks (dask-cloudprovider's `FargateCluster`), the scheduler in this
/// process.
///
/// ```swift
/// let cluster = try await FargateCluster(image: "123.dkr.ecr.eu-west-1.amazonaws.com/myapp:1",
///                                        workerCPU: 1024, workerMemory: 4096)
/// try await cluster.scale(3)
/// let client = try await Client(cluster)
/// ```
/// The image runs this program (its `main` calls `Loom.bootstrap`), at `executable` inside it.
/// Everything it makes is tagged `createdBy=loom`, `loom-cluster=NAME`: the ECS cluster, the
/// tasks' execution role, the log group `/loom/NAME`, a security group in the default VPC (every
/// TCP port from the group itself and from `allowedCIDR`, the scheduler's side), the task
/// definition; `close()` stops the tasks and removes them all. What a killed program left is
/// removed by the next start under the same name, or by `AWSClusterResources.cleanup(name:)`
/// (`loom cloud cleanup`).
public final class FargateCluster: Cluster {
    /// Where the scheduler runs.
    public enum Scheduler: Sendable {
        /// In this program (the tasks must reach it: this machine in the VPC, or a VPN).
        case local
        /// In a Fargate task of its own (`cpu`, `memory`: a Fargate size), found at its network
        /// interface's public address, or its private one with `usePrivateIP`.
        case task(cpu: Int = 1024, memory: Int = 4096)
        /// One already running, at `tcp://HOST:PORT` or `tls://…`.
        case address(String)
    }

    /// The scheduler's port in its task, and its dashboard's.
    public static let schedulerPort = 8786, dashboardPort = 8787
    static let containerName = "loom"
    public let base: SpecCluster
    public let name: String
    public let clusterARN: String
    public let configuration: AWSConfiguration
    private let client: AWSClient
    /// The client through which a scheduler elsewhere (`.task`, `.address`) is scaled.
    private let schedulerClient: Client?
    private let made: AWSClusterResources
    private let watcher: ECSTaskWatcher
    /// The task watch: it outlasts `base` while `close()` removes what the cluster made.
    private let tasks = ClusterTasks()
    private let logger = Logger.loom("loom.cloud")

    /// Checks the sizes (before any request), makes or finds what the tasks need and starts the
    /// scheduler; no workers yet (`scale`, `adapt`).
    /// - Parameters:
    ///   - workerCPU: CPU units (1024 a vCPU) and `workerMemory` MiB: a Fargate size.
    ///   - executable: the program's path inside the image; by default this program's path.
    ///   - allowedCIDR: who may reach the workers (the scheduler and clients): by default the
    ///     scheduler's own address.
    ///   - schedulerHost: where a `.local` scheduler listens, an address the tasks reach.
    ///   - dashboardAddress: the `.local` scheduler's dashboard (`:8787`, `:0`; none by default),
    ///     with a page of the cluster's tasks and why any stopped.
    ///   - usePrivateIP: reach a `.task` scheduler at its private address (from inside the VPC).
    ///   - security: TLS for every connection (`Security.temporary()` makes a CA and certificates
    ///     for this cluster); the tasks get their certificates from Secrets Manager secrets
    ///     (`loom/NAME/…`) as environment variables, never in the task definition in clear.
    ///   - roles: the tasks' roles: by default an execution role made for the cluster and no
    ///     task role; or roles you have, or a task role made with the policies you name.
    ///   - addressResolver: maps the address ECS reports for the scheduler's task to one this
    ///     program reaches (a tunnel, NAT; the tests' stand-in); the workers get ECS's.
    public convenience init(name: String? = nil, image: String, workerCPU: Int = 4096, workerMemory: Int = 16384,
                            scheduler: Scheduler = .local, executable: String? = nil, configuration: AWSConfiguration? = nil,
                            usePublicIP: Bool = true, usePrivateIP: Bool = false, allowedCIDR: String? = nil,
                            schedulerHost: String? = nil, dashboardAddress: String? = nil, addressResolver: (@Sendable (Address) -> Address)? = nil,
                            security: Security? = nil, roles: ECSRoles = ECSRoles(), logRetentionDays: Int = 30,
                            startTimeout: Duration = .seconds(300), plugins: [any SchedulerPlugin] = []) async throws {
        try await self.init(
            existingCluster: nil, launchType: .fargate, name: name, image: image, workerCPU: workerCPU, workerMemory: workerMemory,
            scheduler: scheduler, executable: executable, configuration: configuration, usePublicIP: usePublicIP, usePrivateIP: usePrivateIP,
            allowedCIDR: allowedCIDR, schedulerHost: schedulerHost, dashboardAddress: dashboardAddress, addressResolver: addressResolver,
            security: security, roles: roles, logRetentionDays: logRetentionDays, startTimeout: startTimeout, plugins: plugins)
    }

    /// With `existingCluster` (an ECS cluster's name or ARN) the tasks run there and the cluster
    /// is kept on close (`ECSCluster`); otherwise one is made.
    init(existingCluster: String?, launchType: ECSLaunchType, name: String?, image: String, workerCPU: Int, workerMemory: Int,
         scheduler: Scheduler, executable: String?, configuration: AWSConfiguration?, usePublicIP: Bool, usePrivateIP: Bool,
         allowedCIDR: String?, schedulerHost: String?, dashboardAddress: String?, addressResolver: (@Sendable (Address) -> Address)?,
         security: Security?, roles: ECSRoles, logRetentionDays: Int, startTimeout: Duration, plugins: [any SchedulerPlugin]) async throws {
        let size = try launchType.size(cpu: workerCPU, memory: workerMemory, role: "worker")
        var schedulerSize: FargateSize?
        if case .task(let cpu, let memory) = scheduler { schedulerSize = try launchType.size(cpu: cpu, memory: memory, role: "scheduler") }
        let name = name ?? "loom-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        try CloudTags.validate(name: name)
        let configuration = try configuration ?? AWSConfiguration.fromEnvironment()
        let client = AWSClient(configuration: configuration)
        self.name = name
        self.configuration = configuration
        self.client = client
        let ecs = ECSAPI(client: client)
        // A cluster of this name left by a killed program would share (and on close delete) its resources.
        let leftovers = try await AWSClusterResources.cleanup(name: name, client: client)
        if !leftovers.isEmpty { Logger.loom("loom.cloud").warning("removed what an earlier cluster \(name) left", metadata: ["resources": "\(leftovers)"]) }

        let tags = CloudTags.of(cluster: name)
        let ecsTags = tags.sorted { $0.key < $1.key }.map { ECSAPI.Tag(key: $0.key, value: $0.value) }
        var made = AWSClusterResources()
        made.name = name
        let host = schedulerHost ?? "0.0.0.0"
        do {
            let cluster: ECSAPI.Cluster
            if let existingCluster {
                guard let found = try await ecs.describeClusters([existingCluster]).first(where: { $0.status == "ACTIVE" }) else {
                    throw LoomError(.configuration, "there is no active ECS cluster \(existingCluster) in \(configuration.region)")
                }
                cluster = found
            } else {
                cluster = try await ecs.createCluster(name: name, tags: ecsTags)
                made.cluster = cluster.clusterArn
            }
            made.taskCluster = cluster.clusterArn
            let iam = IAMAPI(client: client)
            let role: String
            if let given = roles.executionRoleARN {
                role = given
            } else {
                role = try await iam.ensureRole("\(name)-execution", description: "Loom cluster \(name): pulls the image, writes the logs", tags: tags)
                made.roles.append("\(name)-execution")
                try await iam.attachRolePolicy("\(name)-execution", policyARN: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
            }
            var taskRole = roles.taskRoleARN
            if taskRole == nil, !roles.taskRolePolicies.isEmpty {
                taskRole = try await iam.ensureRole("\(name)-task", description: "Loom cluster \(name): what its tasks' code may do", tags: tags)
                made.roles.append("\(name)-task")
                for policy in roles.taskRolePolicies { try await iam.attachRolePolicy("\(name)-task", policyARN: policy) }
            }
            let logGroup = "/loom/\(name)"
            try await LogsAPI(client: client).ensureGroup(logGroup, retentionDays: logRetentionDays, tags: tags)
            made.logGroup = logGroup
            var workerSecrets: [ECSAPI.Secret]?, schedulerSecrets: [ECSAPI.Secret]?
            if let security {
                workerSecrets = try await Self.storeCertificates(of: .worker, security, cluster: name, tags: tags, client: client, made: &made)
                if case .task = scheduler {
                    schedulerSecrets = try await Self.storeCertificates(of: .scheduler, security, cluster: name, tags: tags, client: client, made: &made)
                }
                // The execution role reads them when a task starts, and nothing else does (a
                // given execution role must be allowed to already: its policies are the user's).
                if roles.executionRoleARN == nil {
                    let resources = made.secrets.map { "\"\($0)\"" }.joined(separator: ",")
                    let document = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":["#
                        + resources + "]}]}"
                    try await iam.putRolePolicy("\(name)-execution", name: "loom-secrets", document: document)
                }
            }
            let ec2 = EC2API(client: client)
            guard let vpc = try await ec2.defaultVPC() else {
                throw LoomError(.configuration, "region \(configuration.region) has no default VPC for the cluster's tasks")
            }
            let subnets = try await ec2.subnets(of: vpc)
            let groupTags = existingCluster == nil ? tags : tags.merging([AWSClusterResources.taskClusterTag: cluster.clusterArn]) { $1 }
            let group = try await ec2.createSecurityGroup(name: name, description: "Loom cluster \(name)", vpc: vpc, tags: groupTags)
            made.securityGroup = group
            let contact = NetworkInterface.isWildcard(host) ? await NetworkInterface.outwardAddress() : host
            try await ec2.authorizeIngress(group: group, ports: [0...65535], from: allowedCIDR ?? "\(contact)/32")
            let definition = try await ecs.registerTaskDefinition(
                family: "\(name)-worker", size: size, compatibility: launchType.rawValue,
                container: ECSAPI.ContainerDefinition(
                    name: Self.containerName, image: image, cpu: size.cpu, memory: size.memory,
                    environment: security.map { _ in [.init(name: "LOOM_COMM__REQUIRE_ENCRYPTION", value: "true")] } ?? [], secrets: workerSecrets,
                    logConfiguration: .init(group: logGroup, region: configuration.region, streamPrefix: Self.containerName)),
                executionRoleArn: role, taskRoleArn: taskRole, tags: ecsTags)
            made.taskDefinitions.append(definition.taskDefinitionArn)
            clusterARN = cluster.clusterArn
            let watcher = ECSTaskWatcher(ecs: ecs, cluster: cluster.clusterArn)
            self.watcher = watcher
            let network = ECSAPI.NetworkConfiguration(subnets: subnets, securityGroups: [group], publicIP: usePublicIP)
            let executable = executable ?? CommandLine.arguments[0]
            let launcher = ECSLauncher(
                ecs: ecs, cluster: cluster.clusterArn, taskDefinition: definition.taskDefinitionArn, launchType: launchType.rawValue,
                network: network, executable: executable, threads: size.threads, memoryMiB: size.memory,
                tags: ecsTags, startedBy: name, watcher: watcher, startTimeout: startTimeout)
            switch scheduler {
            case .local:
                schedulerClient = nil
                base = try await SpecCluster(
                    name: name, launcher: launcher,
                    scheduler: SchedulerOptions(host: host, port: 0, scheduling: .configured(try Configuration.current), dashboardAddress: dashboardAddress,
                                                security: security),
                    plugins: plugins + [ECSTasksPlugin(watcher: watcher, cluster: cluster.clusterArn)], startTimeout: startTimeout)
            case .task:
                let schedulerDefinition = try await ecs.registerTaskDefinition(
                    family: "\(name)-scheduler", size: schedulerSize!, compatibility: launchType.rawValue,
                    container: ECSAPI.ContainerDefinition(
                        name: Self.containerName, image: image, cpu: schedulerSize!.cpu, memory: schedulerSize!.memory,
                        environment: security.map { _ in [.init(name: "LOOM_COMM__REQUIRE_ENCRYPTION", value: "true")] } ?? [], secrets: schedulerSecrets,
                        logConfiguration: .init(group: logGroup, region: configuration.region, streamPrefix: Self.containerName)),
                    executionRoleArn: role, taskRoleArn: taskRole, tags: ecsTags)
                made.taskDefinitions.append(schedulerDefinition.taskDefinitionArn)
                let task = try await ecs.runTask(
                    cluster: cluster.clusterArn, taskDefinition: schedulerDefinition.taskDefinitionArn, launchType: launchType.rawValue, network: network,
                    override: .init(name: Self.containerName, command: [
                        executable, "scheduler", "--port", "\(Self.schedulerPort)", "--dashboard-address", ":\(Self.dashboardPort)",
                    ]), tags: ecsTags + [ECSAPI.Tag(key: "loom-role", value: "scheduler")], startedBy: name)
                let running = try await launcher.waitUntilRunning(task, what: "the scheduler")
                guard let interface = running.networkInterfaceID else {
                    throw LoomError(.configuration, "the scheduler's task \(task.taskArn) runs without a network interface")
                }
                let addresses = try await ec2.addresses(ofInterface: interface)
                guard let announced = usePrivateIP ? addresses.private : addresses.public else {
                    throw LoomError(.configuration, usePrivateIP
                        ? "the scheduler's network interface \(interface) has no private address"
                        : "the scheduler's network interface \(interface) has no public address: give it one (usePublicIP: true, a public subnet) or use usePrivateIP: true from inside the VPC")
                }
                let address = Address(host: announced, port: Self.schedulerPort, scheme: security == nil ? .tcp : .tls)
                (base, schedulerClient) = try await CloudScheduler.cluster(
                    name: name, launcher: launcher, at: address, through: addressResolver, security: security, startTimeout: startTimeout)
            case .address(let text):
                (base, schedulerClient) = try await CloudScheduler.cluster(
                    name: name, launcher: launcher, at: try Address(parsing: text), through: addressResolver, security: security, startTimeout: startTimeout)
            }
            watcher.start(in: tasks)
        } catch {
            await made.remove(client: client)
            throw error
        }
        self.made = made
    }

    /// Stores `role`'s CA, certificate and key as secrets `loom/NAME/ROLE-…`; the task
    /// definition's references to them, as the variables the configuration reads
    /// (`LOOM_COMM__TLS__CA_FILE`, `…__WORKER__CERT`, `…__WORKER__KEY`: PEM text is taken as is).
    static func storeCertificates(of role: Security.Role, _ security: Security, cluster name: String, tags: [String: String],
                                  client: AWSClient, made: inout AWSClusterResources) async throws -> [ECSAPI.Secret] {
        guard let credential = security.credentials[role] else {
            throw LoomError(.configuration, "the cluster's Security has no \(role) certificate (Security.temporary() makes one for every role)")
        }
        let upper = role.rawValue.uppercased()
        let values: [(variable: String, suffix: String, pem: Security.PEM)] = [
            ("LOOM_COMM__TLS__CA_FILE", "\(role.rawValue)-ca", security.authority),
            ("LOOM_COMM__TLS__\(upper)__CERT", "\(role.rawValue)-cert", credential.certificate),
            ("LOOM_COMM__TLS__\(upper)__KEY", "\(role.rawValue)-key", credential.key),
        ]
        var references: [ECSAPI.Secret] = []
        for (variable, suffix, pem) in values {
            let arn = try await SecretsManagerAPI(client: client).create("loom/\(name)/\(suffix)", value: try Security.text(of: pem, what: suffix), tags: tags)
            made.secrets.append(arn)
            references.append(.init(name: variable, valueFrom: arn))
        }
        return references
    }

    /// The tasks of the cluster as ECS last described them (with `stoppedReason` for the stopped).
    public var ecsTasks: [ECSAPI.Task] { watcher.all }

    /// Every task's log (CloudWatch Logs, `loom/loom/TASK-ID` in `/loom/NAME`), by worker name.
    public func logs() async throws -> [String: [LogsAPI.Event]] {
        let logs = LogsAPI(client: client)
        var found: [String: [LogsAPI.Event]] = [:]
        for task in watcher.all {
            let worker = task.tags?.first { $0.key == "loom-worker" }?.value ?? task.taskArn
            let id = task.taskArn.split(separator: "/").last.map(String.init) ?? task.taskArn
            found[worker] = try await logs.events(group: "/loom/\(name)", stream: "\(Self.containerName)/\(Self.containerName)/\(id)")
        }
        return found
    }

    /// Stops adapting and every worker, then removes everything the cluster made.
    public func close() async {
        await base.close()
        await schedulerClient?.close()
        await tasks.close()
        await made.remove(client: client)
    }
}
