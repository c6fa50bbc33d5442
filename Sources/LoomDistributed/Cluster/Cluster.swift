import Foundation
import ServiceLifecycle

/// What every cluster offers (local, batch jobs, Kubernetes): its scheduler's address,
/// `scale`, `adapt` and `close`, all carried by its `SpecCluster` base. Every cluster is also a
/// ServiceLifecycle `Service`, to run in a `ServiceGroup` beside a program's other services.
public protocol Cluster: Service {
    var base: SpecCluster { get }
    /// Asks for `workers` workers (Dask's `cluster.scale(n)`).
    func scale(_ workers: Int) async throws
    /// Stops every worker and the scheduler.
    func close() async
}

extension Cluster {
    /// Keeps the cluster up until a graceful shutdown (ServiceLifecycle: TERM, say) or the
    /// task's cancellation, then closes it: its workers stop, then its scheduler.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    public var schedulerAddress: Address { base.schedulerAddress }

    /// The dashboard's link, `http://127.0.0.1:8787/status` (nil without a dashboard).
    public var dashboardLink: String? { base.scheduler.dashboardLink }

    /// Names of the workers started or starting, and not stopped.
    public var workerNames: [String] { base.workerNames }

    /// Starts or retires workers until there are `workers`; returns once they joined (a
    /// job-queue cluster returns once their jobs are submitted: jobs may queue for long).
    public func scale(_ workers: Int) async throws { try await base.scale(workers) }

    /// Follows the work between `minimum` and `maximum` workers (Dask's rule; see `SpecCluster.adapt`).
    /// `maximumShrink` and `coolDown` default to the launcher's (Kubernetes: a quarter, 15 s;
    /// others: no limit).
    public func adapt(minimum: Int = 0, maximum: Int = .max, targetDuration: Duration = .seconds(5),
                      interval: Duration = .seconds(1), waitCount: Int = 3, maximumShrink: Double? = nil, coolDown: Duration? = nil) {
        let limits = base.launcher.adaptiveLimits
        base.adapt(AdaptiveOptions(minimum: minimum, maximum: maximum, targetDuration: targetDuration, interval: interval, waitCount: waitCount,
                                   maximumShrink: maximumShrink ?? limits.maximumShrink, coolDown: coolDown ?? limits.coolDown))
    }

    /// Waits until `count` workers joined; a launch that cannot start (a pod's ImagePullBackOff,
    /// a failed job) is the error, instead of a wait without end.
    public func waitForWorkers(_ count: Int, timeout: Duration? = nil) async throws {
        try await base.waitForWorkers(count, timeout: timeout)
    }

    /// Stops every worker and the scheduler.
    public func close() async { await base.close() }
}

extension Client {
    /// A client of the cluster's scheduler, with the cluster's TLS settings; with
    /// `setAsDefault` (the default), `compute()` runs on the cluster from now on.
    public convenience init(_ cluster: some Cluster, setAsDefault: Bool = true) async throws {
        try await self.init(address: cluster.schedulerAddress, security: cluster.base.scheduler.security, setAsDefault: setAsDefault)
    }
}
