import LoomCore

/// The scheduler's tuning knobs (Dask's `distributed.scheduler.*` defaults).
public struct SchedulerConfiguration: Sendable, Hashable {
    /// Bytes per second assumed for moving a value between workers (Dask: 100 MB/s).
    public var bandwidth: Double = 100_000_000
    /// A worker is saturated when it processes `ceil(nthreads × workerSaturation)` tasks (at
    /// least 1); tasks without dependencies then wait on the scheduler. `.infinity` turns this
    /// queueing off, so every ready task goes to a worker at once.
    public var workerSaturation: Double = 1.1
    /// Root tasks keep flowing to a worker past its saturation slots until it holds at least this
    /// many seconds of expected work per thread (at most `maximumSlotMultiple` times its slots),
    /// so tiny tasks keep enough in flight to hide the round trip. Unknown or slow functions
    /// reach it at once, and queueing behaves exactly as Dask's.
    public var minimumQueuedWork: Double = 0.002
    public var maximumSlotMultiple: Int = 64
    /// A task errs with a `KilledWorker` failure once this many workers died while running it.
    public var allowedFailures: Int = 3
    /// Seconds assumed for a function that has never finished yet (Dask: 0.5 s).
    public var defaultTaskDuration: Double = 0.5
    /// Durations are a plain mean of the first samples, then a moving average over about this
    /// many recent ones.
    public var durationWindow: Int = 100

    /// Whether `tick` moves tasks from saturated to idle workers.
    public var workStealing: Bool = true
    /// Seconds added to a stolen task's transfer estimate for the extra round trips.
    public var stealLatency: Double = 0.1
    /// Tasks expected to run shorter than this are not worth stealing.
    public var minimumStealDuration: Double = 0.005
    /// Tasks whose transfer would take more than this many times their run time stay put.
    public var maximumStealCostRatio: Double = 100
    /// At most this many of a victim's processing tasks are examined per tick.
    public var stealScanLimit: Int = 2_000
    /// Seconds (of `tick` time) a task may wait with no worker that can run it before it errs:
    /// its restrictions fit no worker, or there are no workers. `nil` waits for ever.
    public var unrunnableTimeout: Double? = nil

    public init() {}

    /// The defaults, with what the user's configuration (`loom.yaml`, `LOOM_…`) sets.
    public static func configured(_ configuration: Configuration) -> SchedulerConfiguration {
        var scheduling = SchedulerConfiguration()
        scheduling.allowedFailures = configuration.allowedFailures
        scheduling.unrunnableTimeout = configuration.unrunnableTimeout
        return scheduling
    }
}
