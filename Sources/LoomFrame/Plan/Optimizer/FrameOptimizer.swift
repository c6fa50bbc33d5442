/// The plan as it runs: checked, then rewritten by each rule in turn (a rule a file). `explain()`
/// prints what comes out.
extension FramePlan {
    /// - Parameter needed: the columns the caller uses (nil: all; empty: none, as `count()`).
    func optimized(needing needed: Set<String>? = nil) throws -> FramePlan {
        _ = try schema()
        return try pushingPredicates().projected(needed)
    }
}
