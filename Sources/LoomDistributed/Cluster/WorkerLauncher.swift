import Foundation

/// Starts what runs a cluster's workers — worker processes under nannies, workers in this
/// process, a batch job, a pod — while the cluster base (`SpecCluster`) decides how many
/// (Dask's `ProcessInterface`).
public protocol WorkerLauncher: Sendable {
    /// How many workers one launch brings (a batch job may run several; usually one).
    var workersPerLaunch: Int { get }
    /// How fast adaptive scaling may shrink these launches unless `adapt` says otherwise.
    var adaptiveLimits: AdaptiveLimits { get }
    /// How many launches may be under way at once (one by default: a batch system or a host
    /// may not like more; a cloud API takes many, its limits retried).
    var concurrentLaunches: Int { get }
    /// Starts one launch whose workers join `scheduler` under `workerNames`
    /// (`workersPerLaunch` of them).
    func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers
}

/// How fast adaptive scaling may shrink (`AdaptiveOptions.maximumShrink`, `coolDown`).
public struct AdaptiveLimits: Sendable, Hashable {
    public var maximumShrink: Double
    public var coolDown: Duration

    public init(maximumShrink: Double = 1, coolDown: Duration = .zero) {
        self.maximumShrink = maximumShrink
        self.coolDown = coolDown
    }
}

extension WorkerLauncher {
    public var adaptiveLimits: AdaptiveLimits { AdaptiveLimits() }
    public var concurrentLaunches: Int { 1 }
}

/// The workers of one launch, as their launcher sees them.
public protocol LaunchedWorkers: Sendable {
    /// Why they will not join, once that is known (a nanny gave up, a job failed).
    var failure: String? { get }
    /// Whether they are gone for good (a batch job that ended, by its walltime say): the
    /// cluster forgets the launch, and adaptive scaling starts another if it needs one.
    var hasEnded: Bool { get }
    /// The names its workers join under, when the launcher chose them (a pod's server-made
    /// name) rather than taking those it was given.
    var workerNames: [String]? { get }
    /// Stops them for good; returns once they are gone.
    func stop() async
}

extension LaunchedWorkers {
    public var hasEnded: Bool { false }
    public var workerNames: [String]? { nil }
}
