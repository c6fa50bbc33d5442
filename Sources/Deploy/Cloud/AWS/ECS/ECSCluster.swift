import Foundation
import LoomCore
import LoomDistributed

/// Where ECS runs a cluster's tasks.
public enum ECSLaunchType: String, Sendable {
    /// On the cluster's own EC2 container instances.
    case ec2 = "EC2"
    /// On Fargate.
    case fargate = "FARGATE"

    /// The task size this launch type runs, checked before any request.
    func size(cpu: Int, memory: Int, role: String) throws -> FargateSize {
        switch self {
        case .fargate: try FargateSize(cpu: cpu, memory: memory, role: role)
        case .ec2: try FargateSize(ec2CPU: cpu, memory: memory, role: role)
        }
    }
}

/// Workers as tasks of an ECS cluster you already have (dask-cloudprovider's `ECSCluster`), on
/// its EC2 container instances or on Fargate:
///
/// ```swift
/// let ecs = try await ECSCluster(clusterARN: existing, launchType: .ec2, image: "…/myapp:1", executable: "/app/myapp")
/// ```
/// The same as `FargateCluster` but for the ECS cluster, which it neither makes nor deletes:
/// `close()` stops the tasks it started (`startedBy` its name) and removes the rest it made.
public final class ECSCluster: Cluster {
    public let tasks: FargateCluster
    public var base: SpecCluster { tasks.base }

    public init(clusterARN: String, launchType: ECSLaunchType = .ec2, name: String? = nil, image: String,
                workerCPU: Int = 1024, workerMemory: Int = 4096, scheduler: FargateCluster.Scheduler = .local,
                executable: String? = nil, configuration: AWSConfiguration? = nil, usePublicIP: Bool = false, usePrivateIP: Bool = false,
                allowedCIDR: String? = nil, schedulerHost: String? = nil, dashboardAddress: String? = nil,
                addressResolver: (@Sendable (Address) -> Address)? = nil, security: Security? = nil, roles: ECSRoles = ECSRoles(),
                logRetentionDays: Int = 30, startTimeout: Duration = .seconds(300), plugins: [any SchedulerPlugin] = []) async throws {
        tasks = try await FargateCluster(
            existingCluster: clusterARN, launchType: launchType, name: name, image: image, workerCPU: workerCPU, workerMemory: workerMemory,
            scheduler: scheduler, executable: executable, configuration: configuration, usePublicIP: usePublicIP && launchType == .fargate,
            usePrivateIP: usePrivateIP, allowedCIDR: allowedCIDR, schedulerHost: schedulerHost, dashboardAddress: dashboardAddress,
            addressResolver: addressResolver, security: security, roles: roles, logRetentionDays: logRetentionDays, startTimeout: startTimeout,
            plugins: plugins)
    }

    /// The ECS cluster's ARN.
    public var clusterARN: String { tasks.clusterARN }

    public func close() async { await tasks.close() }
}
