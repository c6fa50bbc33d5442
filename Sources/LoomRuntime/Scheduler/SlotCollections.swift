import LoomCore

// Small collections of slots tuned for the common case of one or two members: no allocation
// until there are more.

/// The workers holding one value: almost always one, so the first lives inline.
struct HolderSet: Sendable, Sequence {
    private var rest: [WorkerSlot] = []
    private var first: WorkerSlot = -1

    var isEmpty: Bool { first < 0 }
    var count: Int { first < 0 ? 0 : 1 + rest.count }

    func contains(_ worker: WorkerSlot) -> Bool {
        first == worker || (first >= 0 && !rest.isEmpty && rest.contains(worker))
    }

    /// Returns whether it was added.
    @discardableResult
    mutating func insert(_ worker: WorkerSlot) -> Bool {
        if contains(worker) { return false }
        if first < 0 { first = worker } else { rest.append(worker) }
        return true
    }

    /// Returns whether it was there.
    @discardableResult
    mutating func remove(_ worker: WorkerSlot) -> Bool {
        if first == worker {
            first = rest.isEmpty ? -1 : rest.removeFirst()
            return true
        }
        guard let index = rest.firstIndex(of: worker) else { return false }
        rest.remove(at: index)
        return true
    }

    mutating func removeAll() {
        first = -1
        rest = []
    }

    struct Iterator: IteratorProtocol {
        fileprivate let first: WorkerSlot
        fileprivate let rest: [WorkerSlot]
        fileprivate var index = -1

        mutating func next() -> WorkerSlot? {
            defer { index += 1 }
            if index < 0 { return first < 0 ? nil : first }
            return index < rest.count ? rest[index] : nil
        }
    }

    func makeIterator() -> Iterator { Iterator(first: first, rest: rest) }
}

/// A task's dependents: usually one, kept inline; a small array beyond that, turning into a
/// set when large so that forgetting one of a million dependents of a shared key stays O(1).
struct SlotList: Sendable, Sequence {
    private enum Storage: Sendable {
        case few([TaskSlot])
        case many(Set<TaskSlot>)
    }

    private static let setThreshold = 32
    private var rest: Storage = .few([])
    private var first: TaskSlot = -1

    var isEmpty: Bool { first < 0 }

    var count: Int {
        guard first >= 0 else { return 0 }
        switch rest {
        case .few(let slots): return 1 + slots.count
        case .many(let slots): return 1 + slots.count
        }
    }

    /// The caller guarantees `slot` is not in the list yet.
    mutating func insert(_ slot: TaskSlot) {
        guard first >= 0 else {
            first = slot
            return
        }
        switch rest {
        case .few(var slots):
            rest = .few([])
            if slots.count < Self.setThreshold {
                slots.append(slot)
                rest = .few(slots)
            } else {
                var set = Set(slots)
                set.insert(slot)
                rest = .many(set)
            }
        case .many(var set):
            rest = .few([])
            set.insert(slot)
            rest = .many(set)
        }
    }

    mutating func remove(_ slot: TaskSlot) {
        if slot == first {
            first = popRest() ?? -1
            return
        }
        switch rest {
        case .few(var slots):
            guard let index = slots.firstIndex(of: slot) else { return }
            rest = .few([])
            slots.swapAt(index, slots.count - 1)
            slots.removeLast()
            rest = .few(slots)
        case .many(var set):
            rest = .few([])
            set.remove(slot)
            rest = .many(set)
        }
    }

    private mutating func popRest() -> TaskSlot? {
        switch rest {
        case .few(var slots):
            guard !slots.isEmpty else { return nil }
            rest = .few([])
            let last = slots.removeLast()
            rest = .few(slots)
            return last
        case .many(var set):
            rest = .few([])
            let any = set.popFirst()
            rest = .many(set)
            return any
        }
    }

    struct Iterator: IteratorProtocol {
        fileprivate enum Base {
            case few(IndexingIterator<[TaskSlot]>)
            case many(Set<TaskSlot>.Iterator)
        }
        fileprivate var first: TaskSlot
        fileprivate var base: Base

        mutating func next() -> TaskSlot? {
            if first >= 0 {
                defer { first = -1 }
                return first
            }
            switch base {
            case .few(var iterator):
                let next = iterator.next()
                base = .few(iterator)
                return next
            case .many(var iterator):
                let next = iterator.next()
                base = .many(iterator)
                return next
            }
        }
    }

    func makeIterator() -> Iterator {
        switch rest {
        case .few(let slots): Iterator(first: first, base: .few(slots.makeIterator()))
        case .many(let slots): Iterator(first: first, base: .many(slots.makeIterator()))
        }
    }
}
