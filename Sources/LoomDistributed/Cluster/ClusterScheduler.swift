import Foundation

/// What a cluster asks of its scheduler to scale, wherever the scheduler runs: a
/// `SchedulerServer` in this process (LocalCluster, batch jobs), or one on another host that a
/// `RemoteScheduler` reaches over the wire (SSHCluster).
public protocol ClusterScheduler: Sendable {
    /// Workers connected now.
    var workerCount: Int { get async }
    /// Names of the workers connected now.
    var connectedWorkerNames: [String] { get async }
    /// Names of the workers that could go first; workers `groups` maps to one name go together.
    func workersToClose(target: Int?, groups: [String: String]) async -> [String]
    /// Retires groups of workers gracefully (their data copied first); the names retired.
    func retire(groups: [[String]], timeout: Duration) async -> [String]
    /// The workers the current work calls for (Dask's `adaptive_target`).
    func adaptiveTarget(targetDuration: Duration, groups: [String: String]) async -> Int
    /// The dashboard's link, if the scheduler serves one.
    var dashboardLink: String? { get }
    /// The TLS settings clients of this cluster connect with.
    var security: Security? { get }
}

extension SchedulerServer: ClusterScheduler {
    public nonisolated var security: Security? { options.security }
}
