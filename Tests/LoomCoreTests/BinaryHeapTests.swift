import Testing
import LoomCore

/// An element that owns a slot in a positions table, ordered by priority then slot, as the
/// scheduler's queued tasks are.
private struct Slotted: Comparable {
    var priority: Int
    var slot: Int

    static func < (lhs: Slotted, rhs: Slotted) -> Bool {
        lhs.priority != rhs.priority ? lhs.priority < rhs.priority : lhs.slot < rhs.slot
    }
}

/// Each parent is no larger than its children.
private func isHeapOrdered<Element: Comparable>(_ heap: BinaryHeap<Element>) -> Bool {
    let elements = heap.unordered
    return elements.indices.dropFirst().allSatisfy { !(elements[$0] < elements[($0 - 1) / 2]) }
}

@Suite struct BinaryHeapTests {
    @Test func anEmptyHeapHasNothingToGive() {
        var heap = BinaryHeap<Int>()
        heap.reserveCapacity(100)
        #expect(heap.isEmpty && heap.count == 0)
        #expect(heap.min == nil)
        #expect(heap.popMin() == nil)
        var moves = 0
        #expect(heap.popMin(onMove: { _, _ in moves += 1 }) == nil)
        #expect(moves == 0)
    }

    @Test(arguments: [1, 2, 3, 0x5EED])
    func popsInTheOrderOfASortedArray(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var heap = BinaryHeap<Int32>()
        var reference: [Int32] = []
        for _ in 0..<5_000 {
            if random.next(below: 3) > 0 {
                let value = Int32(random.next(below: 500))  // small range: many duplicates
                heap.insert(value)
                reference.insert(value, at: reference.firstIndex { $0 > value } ?? reference.count)
            } else {
                let popped = heap.popMin()
                #expect(popped == (reference.isEmpty ? nil : reference.removeFirst()))
            }
            #expect(heap.count == reference.count)
            #expect(heap.min == reference.first)
        }
        #expect(isHeapOrdered(heap))
        var rest: [Int32] = []
        while let value = heap.popMin() { rest.append(value) }
        #expect(rest == reference)
        #expect(heap.isEmpty)
    }

    @Test(arguments: [7, 8, 9])
    func removingAnyMemberKeepsTheHeapAndThePositionsRight(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let slots = 300
        var heap = BinaryHeap<Slotted>()
        var positions = [Int](repeating: -1, count: slots)
        var members: [Slotted?] = Array(repeating: nil, count: slots)
        func record(_ element: Slotted, _ index: Int) { positions[element.slot] = index }

        for _ in 0..<10_000 {
            let slot = random.next(below: slots)
            switch random.next(below: 4) {
            case 0...1 where members[slot] == nil:
                let element = Slotted(priority: random.next(below: 20), slot: slot)
                heap.insert(element, onMove: record)
                members[slot] = element
            case 2 where members[slot] != nil:
                let removed = heap.remove(at: positions[slot], onMove: record)
                #expect(removed == members[slot])
                members[slot] = nil
            case 3:
                let smallest = members.compactMap { $0 }.min()
                let popped = heap.popMin(onMove: record)
                #expect(popped == smallest)
                if let popped { members[popped.slot] = nil }
            default:
                continue
            }
            // One check per step: an #expect per element would make this test slow in debug.
            let elements = heap.unordered
            try #require(elements.count == members.count { $0 != nil })
            try #require(elements.indices.allSatisfy { positions[elements[$0].slot] == $0 }, "a member's position is off")
            try #require(members.indices.allSatisfy { members[$0] != nil || positions[$0] == -1 }, "a non-member has a position")
            try #require(isHeapOrdered(heap))
        }
    }

    @Test func theInsertedElementAndThePoppedOneAreReported() {
        var heap = BinaryHeap<Slotted>()
        var reports: [(slot: Int, index: Int)] = []
        heap.insert(Slotted(priority: 5, slot: 0)) { reports.append(($0.slot, $1)) }
        #expect(reports.map(\.slot) == [0] && reports.map(\.index) == [0])
        reports = []
        heap.insert(Slotted(priority: 1, slot: 1)) { reports.append(($0.slot, $1)) }
        #expect(reports.map(\.slot) == [0, 1] && reports.map(\.index) == [1, 0], "the parent moved down, the newcomer up")
        reports = []
        _ = heap.popMin { reports.append(($0.slot, $1)) }
        #expect(reports.map(\.slot) == [1, 0] && reports.map(\.index) == [-1, 0])
    }

    @Test func tiesComeOutInTheOrderTheElementsBreakThem() {
        var random = SplitMix64(seed: 11)
        var heap = BinaryHeap<Slotted>()
        var elements = (0..<200).map { Slotted(priority: $0 % 3, slot: $0) }
        elements.shuffle(using: &random)
        for element in elements { heap.insert(element) }
        var popped: [Slotted] = []
        while let element = heap.popMin() { popped.append(element) }
        #expect(popped == elements.sorted())
        #expect(popped.prefix(3).map(\.slot) == [0, 3, 6], "equal priorities by slot")
    }
}
