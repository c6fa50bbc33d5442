import Foundation

/// A binary min-heap of tasks by priority (then slot, so ties are deterministic) that can also
/// remove any member in O(log n): each task's position lives in a table the caller owns.
struct TaskHeap: Sendable {
    struct Entry: Sendable {
        var priority: TaskPriority
        var task: TaskSlot

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.priority != rhs.priority ? lhs.priority < rhs.priority : lhs.task < rhs.task
        }
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var first: TaskSlot? { entries.first?.task }

    mutating func insert(_ task: TaskSlot, priority: TaskPriority, positions: inout [Int32]) {
        entries.append(Entry(priority: priority, task: task))
        siftUp(entries.count - 1, positions: &positions)
    }

    mutating func popFirst(positions: inout [Int32]) -> TaskSlot? {
        guard let top = entries.first?.task else { return nil }
        remove(at: 0, positions: &positions)
        return top
    }

    mutating func remove(_ task: TaskSlot, positions: inout [Int32]) {
        let index = Int(positions[Int(task)])
        guard index >= 0, index < entries.count, entries[index].task == task else { return }
        remove(at: index, positions: &positions)
    }

    private mutating func remove(at index: Int, positions: inout [Int32]) {
        positions[Int(entries[index].task)] = -1
        let last = entries.count - 1
        if index != last {
            entries[index] = entries[last]
            entries.removeLast()
            positions[Int(entries[index].task)] = Int32(index)
            siftDown(index, positions: &positions)
            siftUp(index, positions: &positions)
        } else {
            entries.removeLast()
        }
    }

    private mutating func siftUp(_ start: Int, positions: inout [Int32]) {
        var child = start
        let entry = entries[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard entry < entries[parent] else { break }
            entries[child] = entries[parent]
            positions[Int(entries[child].task)] = Int32(child)
            child = parent
        }
        entries[child] = entry
        positions[Int(entry.task)] = Int32(child)
    }

    private mutating func siftDown(_ start: Int, positions: inout [Int32]) {
        var parent = start
        let entry = entries[parent]
        let count = entries.count
        while true {
            var child = 2 * parent + 1
            guard child < count else { break }
            if child + 1 < count, entries[child + 1] < entries[child] { child += 1 }
            guard entries[child] < entry else { break }
            entries[parent] = entries[child]
            positions[Int(entries[parent].task)] = Int32(parent)
            parent = child
        }
        entries[parent] = entry
        positions[Int(entry.task)] = Int32(parent)
    }
}
