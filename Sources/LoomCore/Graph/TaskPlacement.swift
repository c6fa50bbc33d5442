/// Where a task of a graph should run on a distributed cluster, as Dask's `workers=` and
/// `allow_other_workers=` annotations: the workers (names or addresses) it may run on and,
/// when `allowOtherWorkers`, whether any other worker may run it while none of those is
/// there. The local schedulers have one place to run and ignore it.
public struct TaskPlacement: Sendable, Hashable {
    public var workers: [String]
    public var allowOtherWorkers: Bool

    public init(workers: [String], allowOtherWorkers: Bool = false) {
        self.workers = workers
        self.allowOtherWorkers = allowOtherWorkers
    }
}
