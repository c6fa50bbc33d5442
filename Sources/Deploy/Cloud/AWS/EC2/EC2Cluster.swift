import Foundation
import LoomCore
import LoomDistributed
import Logging

/// Workers on EC2 instances (dask-cloudprovider's `EC2Cluster`), the scheduler in this
/// process or one already running.
///
/// ```swift
/// let vms = try await EC2Cluster(ami: "ami-0123456789abcdef0", instanceType: "m6i.large", workersPerInstance: 2)
/// try await vms.scale(8)                       // four instances
/// ```
/// The image has this program at `executable`; each instance's user data starts its workers
/// and powers it off once they have ended (instances start with shutdown = terminate), so an
/// instance whose scheduler went away stops billing after the workers' death timeout. The
/// instances and the security group (every TCP port from the group itself and from
/// `allowedCIDR`, the scheduler's side) carry `createdBy=loom`, `loom-cluster=NAME`; `close()`
/// terminates and deletes them, and `AWSClusterResources.cleanup(name:)` finds what a killed
/// program left.
public final class EC2Cluster: Cluster {
    public enum Scheduler: Sendable {
        /// In this program (the instances must reach it: this machine in the VPC, or a VPN).
        case local
        /// One already running, at `tcp://HOST:PORT` or `tls://…`.
        case address(String)
    }

    public let base: SpecCluster
    public let name: String
    public let configuration: AWSConfiguration
    /// What each worker gets: threads and memory (MiB).
    public let workerThreads: Int, workerMemory: Int
    private let client: AWSClient
    private let schedulerClient: Client?
    private let made: AWSClusterResources
    private let watcher: EC2InstanceWatcher
    private let tasks = ClusterTasks()

    /// Checks the instance type and the sizes (before anything is made), makes the security
    /// group and starts the scheduler; no instances yet (`scale`, `adapt`).
    /// - Parameters:
    ///   - workersPerInstance: workers each instance runs; `scale(n)` starts whole instances.
    ///   - workerThreads: each worker's threads, by default the type's vCPUs shared out.
    ///   - workerMemory: each worker's memory limit in MiB, by default nine tenths of the
    ///     type's memory shared out.
    ///   - keyName: an EC2 key pair to log in with; `instanceProfile` the role the workers get.
    ///   - allowedCIDR: who may reach the workers: by default the scheduler's own address.
    ///   - schedulerHost: where a `.local` scheduler listens, an address the instances reach.
    public init(name: String? = nil, ami: String, instanceType: String = "m6i.large", workersPerInstance: Int = 1,
                workerThreads: Int? = nil, workerMemory: Int? = nil, scheduler: Scheduler = .local, executable: String? = nil,
                configuration: AWSConfiguration? = nil, keyName: String? = nil, instanceProfile: String? = nil,
                allowedCIDR: String? = nil, schedulerHost: String? = nil, dashboardAddress: String? = nil,
                addressResolver: (@Sendable (Address) -> Address)? = nil, startTimeout: Duration = .seconds(300),
                plugins: [any SchedulerPlugin] = []) async throws {
        guard workersPerInstance >= 1 else {
            throw LoomError(.configuration, "workersPerInstance is \(workersPerInstance): an instance runs at least one worker")
        }
        let name = name ?? "loom-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        try CloudTags.validate(name: name)
        let configuration = try configuration ?? AWSConfiguration.fromEnvironment()
        let client = AWSClient(configuration: configuration)
        let ec2 = EC2API(client: client)
        let type = try await ec2.instanceType(instanceType)
        let threads = workerThreads ?? max(1, type.vCPUs / workersPerInstance)
        let memory = workerMemory ?? type.memoryMiB * 9 / 10 / workersPerInstance
        guard threads >= 1, memory >= 128, memory * workersPerInstance <= type.memoryMiB else {
            throw LoomError(.configuration, "\(workersPerInstance) worker(s) of \(threads) thread(s) and \(memory) MiB do not fit \(instanceType) (\(type.vCPUs) vCPUs, \(type.memoryMiB) MiB): give each worker at least 128 MiB and no more than the instance has")
        }
        self.name = name
        self.configuration = configuration
        self.client = client
        self.workerThreads = threads
        self.workerMemory = memory
        let leftovers = try await AWSClusterResources.cleanup(name: name, client: client)
        if !leftovers.isEmpty { Logger.loom("loom.cloud").warning("removed what an earlier cluster \(name) left", metadata: ["resources": "\(leftovers)"]) }

        let tags = CloudTags.of(cluster: name)
        var made = AWSClusterResources()
        made.name = name
        let host = schedulerHost ?? "0.0.0.0"
        do {
            guard let vpc = try await ec2.defaultVPC() else {
                throw LoomError(.configuration, "region \(configuration.region) has no default VPC for the cluster's instances")
            }
            let subnet = try await ec2.subnets(of: vpc).first
            let group = try await ec2.createSecurityGroup(name: name, description: "Loom cluster \(name)", vpc: vpc, tags: tags)
            made.securityGroup = group
            let contact = NetworkInterface.isWildcard(host) ? await NetworkInterface.outwardAddress() : host
            try await ec2.authorizeIngress(group: group, ports: [0...65535], from: allowedCIDR ?? "\(contact)/32")
            let watcher = EC2InstanceWatcher(ec2: ec2)
            self.watcher = watcher
            let launcher = EC2Launcher(
                ec2: ec2,
                template: EC2API.Launch(ami: ami, instanceType: instanceType, userData: "", securityGroups: [group], subnet: subnet,
                                        keyName: keyName, instanceProfile: instanceProfile, tags: tags, clientToken: ""),
                executable: executable ?? CommandLine.arguments[0], workersPerInstance: workersPerInstance, threads: threads,
                memoryMiB: memory, watcher: watcher, startTimeout: startTimeout)
            switch scheduler {
            case .local:
                schedulerClient = nil
                base = try await SpecCluster(
                    name: name, launcher: launcher,
                    scheduler: SchedulerOptions(host: host, port: 0, scheduling: .configured(try Configuration.current), dashboardAddress: dashboardAddress),
                    plugins: plugins, startTimeout: startTimeout)
            case .address(let text):
                (base, schedulerClient) = try await CloudScheduler.cluster(
                    name: name, launcher: launcher, at: try Address(parsing: text), through: addressResolver, security: nil, startTimeout: startTimeout)
            }
            watcher.start(in: tasks)
        } catch {
            await made.remove(client: client)
            throw error
        }
        self.made = made
    }

    /// The cluster's instances as EC2 last described them (with the reason of those that ended).
    public var instances: [EC2API.Instance] { watcher.all }

    /// Stops adapting and every worker, then terminates the instances and removes the rest.
    public func close() async {
        await base.close()
        await schedulerClient?.close()
        await tasks.close()
        var made = made
        made.instances = watcher.all.filter { $0.state != "terminated" }.map(\.id)
        await made.remove(client: client)
    }
}
