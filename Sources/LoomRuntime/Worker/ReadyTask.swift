import LoomCore

/// A task in the worker's ready queue. It runs before another with a higher user priority,
/// then an earlier submission, then a lower graph order, then an earlier arrival here.
/// Arrival numbers are unique, so two entries never tie.
struct ReadyTask: Comparable {
    var key: Key
    var priority: Int64
    var generation: Int64
    var order: Int64
    var arrival: Int64

    static func < (lhs: ReadyTask, rhs: ReadyTask) -> Bool {
        // The user priority compares reversed (higher first), as Dask's negated priority does.
        if lhs.priority != rhs.priority { return lhs.priority > rhs.priority }
        return (lhs.generation, lhs.order, lhs.arrival) < (rhs.generation, rhs.order, rhs.arrival)
    }
}
