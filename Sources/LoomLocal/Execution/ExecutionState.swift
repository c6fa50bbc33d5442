import LoomCore

/// The bookkeeping of one run of a graph, shared by every local executor and free of I/O.
///
/// It knows which tasks are ready, which results can be dropped because every task that reads
/// them has finished, and how many results are held at once; executors decide where tasks run.
struct ExecutionState {
    let graph: TaskGraph
    /// Unfinished dependencies of each task; a task is ready at zero.
    private var waitingOn: [Int32]
    /// Unfinished dependents of each task; its result can go at zero (unless it is an output).
    private var consumersLeft: [Int32]
    private var isOutput: [Bool]
    /// Ready tasks, smallest number first: tasks are numbered in priority order (see
    /// `GraphOrder`), so the heap compares plain integers.
    private(set) var ready = BinaryHeap<Int32>()
    private(set) var finished = 0
    private(set) var heldResults = 0
    private(set) var peakHeldResults = 0

    init(graph: TaskGraph) {
        self.graph = graph
        let count = graph.count
        waitingOn = (0..<count).map { graph.dependencyOffsets[$0 + 1] - graph.dependencyOffsets[$0] }
        consumersLeft = (0..<count).map { graph.dependentOffsets[$0 + 1] - graph.dependentOffsets[$0] }
        isOutput = [Bool](repeating: false, count: count)
        for output in graph.outputs { isOutput[Int(output)] = true }
        ready.reserveCapacity(count)
        for task in 0..<count where waitingOn[task] == 0 { ready.insert(Int32(task)) }
    }

    var isComplete: Bool { finished == graph.count }

    mutating func nextReady() -> Int32? { ready.popMin() }

    /// Moves the `count` most urgent ready tasks into `batch` (executors keep this state in a
    /// class, where every access is checked for exclusivity: one access per batch, not per task).
    mutating func takeReady(_ count: Int, into batch: inout [Int32]) {
        for _ in 0..<min(count, ready.count) { batch.append(ready.popMin()!) }
    }

    /// `finish` for each task of `tasks`, in order.
    mutating func finish(all tasks: some Sequence<Int32>, release: (Int32) -> Void) {
        for task in tasks { finish(task, release: release) }
    }

    /// Records that `task` produced its result: wakes dependents whose inputs are now all there
    /// and calls `release` for each dependency no remaining task needs. Returns how many tasks
    /// became ready.
    @discardableResult
    mutating func finish(_ task: Int32, release: (Int32) -> Void) -> Int {
        finished += 1
        heldResults += 1
        if heldResults > peakHeldResults { peakHeldResults = heldResults }
        var woken = 0
        let index = Int(task)
        for edge in Int(graph.dependentOffsets[index])..<Int(graph.dependentOffsets[index + 1]) {
            let dependent = graph.dependents[edge]
            waitingOn[Int(dependent)] -= 1
            if waitingOn[Int(dependent)] == 0 {
                ready.insert(dependent)
                woken += 1
            }
        }
        for edge in Int(graph.dependencyOffsets[index])..<Int(graph.dependencyOffsets[index + 1]) {
            let dependency = graph.dependencies[edge]
            consumersLeft[Int(dependency)] -= 1
            if consumersLeft[Int(dependency)] == 0 && !isOutput[Int(dependency)] {
                heldResults -= 1
                release(dependency)
            }
        }
        return woken
    }
}
