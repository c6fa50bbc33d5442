/// A binary min-heap: `min` is the smallest element; `insert` and `popMin` cost O(log n).
///
/// A caller that must also take out any member in O(log n) keeps each element's index itself:
/// the `onMove` overloads report every element whose index changed, and -1 for the one that
/// left, so the caller's positions table stays exact without the heap knowing it. Equal
/// elements come out in no particular order, so elements that must come out in a set order
/// carry their own tiebreak.
///
/// Everything is `@inlinable` so it specialises in the modules that use it: the heap sits on
/// the thread pool's and the scheduler's hot paths.
public struct BinaryHeap<Element: Comparable> {
    @usableFromInline var storage: [Element]

    @inlinable public init() { storage = [] }

    @inlinable public var count: Int { storage.count }
    @inlinable public var isEmpty: Bool { storage.isEmpty }
    /// The smallest element.
    @inlinable public var min: Element? { storage.first }
    /// The elements in heap order: the smallest first, the rest in no useful order.
    @inlinable public var unordered: [Element] { storage }

    @inlinable public mutating func reserveCapacity(_ minimumCapacity: Int) {
        storage.reserveCapacity(minimumCapacity)
    }

    @inlinable public mutating func insert(_ element: Element) {
        insert(element, onMove: { _, _ in })
    }

    @inlinable public mutating func popMin() -> Element? {
        popMin(onMove: { _, _ in })
    }

    // MARK: Tracking positions

    /// Inserts `element`, telling `moved` the new index of each element that moved (`element`'s
    /// own included).
    @inlinable public mutating func insert(_ element: Element, onMove moved: (Element, Int) -> Void) {
        storage.append(element)
        rise(element, from: storage.count - 1, moved)
    }

    /// Takes out the smallest element, telling `moved` -1 for it and the new index of each
    /// element that moved.
    @inlinable public mutating func popMin(onMove moved: (Element, Int) -> Void) -> Element? {
        guard !storage.isEmpty else { return nil }
        return remove(at: 0, onMove: moved)
    }

    /// Takes out the element at `index` (as the caller's positions table knows it), telling
    /// `moved` -1 for it and the new index of each element that moved.
    @inlinable @discardableResult
    public mutating func remove(at index: Int, onMove moved: (Element, Int) -> Void) -> Element {
        let removed = storage[index]
        let last = storage.removeLast()
        moved(removed, -1)
        guard index < storage.count else { return removed }
        // The last element fills the hole. Smaller than the hole's parent, it can only rise;
        // otherwise it can only sink.
        if index > 0, last < storage[(index - 1) / 2] {
            rise(last, from: index, moved)
        } else {
            sink(last, from: index, moved)
        }
        return removed
    }

    // MARK: Sifting

    // Both move a hole rather than swap, so each level costs one write, and report the element
    // that moves into each place.

    @inlinable mutating func rise(_ element: Element, from start: Int, _ moved: (Element, Int) -> Void) {
        var hole = start
        while hole > 0 {
            let parent = (hole - 1) / 2
            guard element < storage[parent] else { break }
            let moving = storage[parent]
            storage[hole] = moving
            moved(moving, hole)
            hole = parent
        }
        storage[hole] = element
        moved(element, hole)
    }

    @inlinable mutating func sink(_ element: Element, from start: Int, _ moved: (Element, Int) -> Void) {
        var hole = start
        let count = storage.count
        while true {
            var child = 2 * hole + 1
            guard child < count else { break }
            if child + 1 < count, storage[child + 1] < storage[child] { child += 1 }
            guard storage[child] < element else { break }
            let moving = storage[child]
            storage[hole] = moving
            moved(moving, hole)
            hole = child
        }
        storage[hole] = element
        moved(element, hole)
    }
}

extension BinaryHeap: Sendable where Element: Sendable {}
