import LoomCore

/// One of the scheduler's queues: the tasks in it by priority, and any of them removable in
/// O(log n) because each task's index in it is kept in a positions table the state owns.
typealias TaskQueue = BinaryHeap<QueuedTask>

/// A task in a queue: by priority, then by slot, so equal priorities still come out in a
/// deterministic order.
struct QueuedTask: Comparable, Sendable {
    var priority: TaskPriority
    var task: TaskSlot

    static func < (lhs: QueuedTask, rhs: QueuedTask) -> Bool {
        lhs.priority != rhs.priority ? lhs.priority < rhs.priority : lhs.task < rhs.task
    }
}

// `positions[task]` is the task's index in the queue holding it, or -1.
extension BinaryHeap where Element == QueuedTask {
    /// The task that comes out next.
    var firstTask: TaskSlot? { min?.task }

    mutating func insert(_ task: TaskSlot, priority: TaskPriority, positions: inout [Int32]) {
        insert(QueuedTask(priority: priority, task: task)) { positions[Int($0.task)] = Int32($1) }
    }

    mutating func popFirstTask(positions: inout [Int32]) -> TaskSlot? {
        popMin { positions[Int($0.task)] = Int32($1) }?.task
    }

    /// Takes `task` out; nothing happens if it is not in this queue.
    mutating func remove(_ task: TaskSlot, positions: inout [Int32]) {
        let index = Int(positions[Int(task)])
        guard index >= 0, index < count, unordered[index].task == task else { return }
        remove(at: index) { positions[Int($0.task)] = Int32($1) }
    }
}
