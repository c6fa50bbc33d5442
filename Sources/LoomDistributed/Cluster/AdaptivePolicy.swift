import Foundation

/// Settings of adaptive scaling (Dask's `Adaptive`).
public struct AdaptiveOptions: Sendable, Hashable {
    public var minimum: Int
    public var maximum: Int
    /// The work in hand should take about this long: more queued work calls for more workers.
    public var targetDuration: Duration
    /// How often the cluster asks the scheduler.
    public var interval: Duration
    /// A worker goes only after this many consecutive recommendations to close it.
    public var waitCount: Int
    /// At most this fraction of the workers goes in one step (at least one); 1 lets all go.
    /// Kubernetes clusters use 0.25, as dask-kubernetes' operator does, so a lull cannot empty
    /// the cluster that the next computation needs.
    public var maximumShrink: Double
    /// No worker goes within this long of the last change (growing or shrinking), so scaling
    /// does not thrash (dask-kubernetes' operator: 15 s).
    public var coolDown: Duration

    public init(minimum: Int = 0, maximum: Int = .max, targetDuration: Duration = .seconds(5),
                interval: Duration = .seconds(1), waitCount: Int = 3, maximumShrink: Double = 1, coolDown: Duration = .zero) {
        self.minimum = max(0, minimum)
        self.maximum = max(self.minimum, maximum)
        self.targetDuration = targetDuration
        self.interval = interval
        self.waitCount = max(1, waitCount)
        self.maximumShrink = min(1, max(0, maximumShrink))
        self.coolDown = coolDown
    }
}

/// Dask's adaptive rule, without I/O: from the scheduler's target and the cluster's launches,
/// whether to stay, grow or shrink. Growing is immediate; a launch is closed only after it was
/// recommended for closing `waitCount` times in a row, so a lull between two computations does
/// not tear workers down that are needed a second later.
struct AdaptivePolicy: Sendable {
    enum Recommendation: Sendable, Equatable {
        case same
        case up(Int)
        case down([String])
    }

    let options: AdaptiveOptions
    private(set) var closeCounts: [String: Int] = [:]
    /// When the last recommendation to grow or shrink was made.
    private(set) var lastChange: ContinuousClock.Instant?

    init(options: AdaptiveOptions) { self.options = options }

    /// A change recommended earlier is done: the cool-down counts from now, so a slow
    /// retirement (its data being copied) does not eat into it.
    mutating func changed(at now: ContinuousClock.Instant = .now) { lastChange = now }

    /// The target within the bounds.
    func bounded(_ target: Int) -> Int { min(max(target, options.minimum), options.maximum) }

    /// Counted in launches (workers, or batch jobs of several): `target` is the scheduler's raw
    /// target; `planned` the launches the cluster started or is starting; `notYetArrived` those
    /// whose workers the scheduler has not all seen; `closable` the scheduler's choice of
    /// launches to close (best first).
    mutating func recommend(target rawTarget: Int, planned: Int, notYetArrived: [String], closable: [String],
                            now: ContinuousClock.Instant = .now) -> Recommendation {
        let target = bounded(rawTarget)
        if target >= planned {
            closeCounts.removeAll()
            guard target > planned else { return .same }
            lastChange = now
            return .up(target)
        }
        if let lastChange, now - lastChange < options.coolDown { return .same }
        var leaving = planned - target
        if options.maximumShrink < 1 { leaving = min(leaving, max(1, Int(Double(planned) * options.maximumShrink))) }
        // Workers still starting go first, then those the scheduler would close.
        var toClose = Array(notYetArrived.prefix(leaving))
        for name in closable where toClose.count < leaving && !toClose.contains(name) { toClose.append(name) }
        var firm: [String] = []
        var counts: [String: Int] = [:]
        for name in toClose {
            counts[name] = closeCounts[name, default: 0] + 1
            if counts[name]! >= options.waitCount { firm.append(name) }
        }
        closeCounts = counts
        guard !firm.isEmpty else { return .same }
        lastChange = now
        return .down(firm)
    }
}
