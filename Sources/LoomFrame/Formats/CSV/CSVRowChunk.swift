/// The field ranges of up to `capacity` records of a block, found by the scan before any field
/// is converted: each column is then converted over all the rows at once (a loop per type, no
/// switch and no growing array per field), in a chunk small enough to stay in cache.
final class CSVRowChunk {
    static let capacity = 4096
    let columns: Int
    private(set) var rows = 0
    /// Row r's field c is `starts[r * columns + c] ..< ends[…]` in the block; -1 for a field
    /// the record lacks (null, as pandas reads missing trailing fields).
    let starts: UnsafeMutablePointer<Int>, ends: UnsafeMutablePointer<Int>
    /// Each row's line in the block, for errors.
    private let lines: UnsafeMutablePointer<Int>

    init(columns: Int) {
        self.columns = max(1, columns)
        starts = .allocate(capacity: Self.capacity * self.columns)
        ends = .allocate(capacity: Self.capacity * self.columns)
        lines = .allocate(capacity: Self.capacity)
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
        lines.deallocate()
    }

    var isFull: Bool { rows == Self.capacity }
    /// Where the scan writes the next record's ranges.
    var nextStarts: UnsafeMutablePointer<Int> { starts + rows * columns }
    var nextEnds: UnsafeMutablePointer<Int> { ends + rows * columns }

    /// Keeps the record just written (with `fields` of its fields), which began on `line`.
    func commit(fields: Int, line: Int) {
        for missing in fields..<columns { (nextStarts[missing], nextEnds[missing]) = (-1, -1) }
        lines[rows] = line
        rows += 1
    }

    func line(_ row: Int) -> Int { lines[row] }
    func clear() { rows = 0 }
}
