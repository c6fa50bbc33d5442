/// Ready tasks, smallest number first. Tasks are numbered in priority order (see `GraphOrder`),
/// so the heap holds plain task numbers and compares integers, nothing else.
struct ReadyHeap {
    private var items: [Int32] = []

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }

    init(capacity: Int = 0) { items.reserveCapacity(capacity) }

    mutating func push(_ task: Int32) {
        items.append(task)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int32? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
