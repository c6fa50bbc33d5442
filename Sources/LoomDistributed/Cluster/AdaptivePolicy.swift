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

    public init(minimum: Int = 0, maximum: Int = .max, targetDuration: Duration = .seconds(5),
                interval: Duration = .seconds(1), waitCount: Int = 3) {
        self.minimum = max(0, minimum)
        self.maximum = max(self.minimum, maximum)
        self.targetDuration = targetDuration
        self.interval = interval
        self.waitCount = max(1, waitCount)
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

    init(options: AdaptiveOptions) { self.options = options }

    /// The target within the bounds.
    func bounded(_ target: Int) -> Int { min(max(target, options.minimum), options.maximum) }

    /// Counted in launches (workers, or batch jobs of several): `target` is the scheduler's raw
    /// target; `planned` the launches the cluster started or is starting; `notYetArrived` those
    /// whose workers the scheduler has not all seen; `closable` the scheduler's choice of
    /// launches to close (best first).
    mutating func recommend(target rawTarget: Int, planned: Int, notYetArrived: [String], closable: [String]) -> Recommendation {
        let target = bounded(rawTarget)
        if target >= planned {
            closeCounts.removeAll()
            return target == planned ? .same : .up(target)
        }
        // Workers still starting go first, then those the scheduler would close.
        var toClose = Array(notYetArrived.prefix(planned - target))
        for name in closable where toClose.count < planned - target && !toClose.contains(name) { toClose.append(name) }
        var firm: [String] = []
        var counts: [String: Int] = [:]
        for name in toClose {
            counts[name] = closeCounts[name, default: 0] + 1
            if counts[name]! >= options.waitCount { firm.append(name) }
        }
        closeCounts = counts
        return firm.isEmpty ? .same : .down(firm)
    }
}
