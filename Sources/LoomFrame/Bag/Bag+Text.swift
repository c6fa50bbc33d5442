import Foundation
import LoomCore
import LoomLocal

/// Text files in and out, a line an element (Dask's `read_text` and `to_textfiles`).
extension Bag where Element == String {
    /// The lines of the files `pattern` names (a path or a glob), without their line ends: each
    /// file cut into equal blocks of at most `blockSize` bytes ("64MB"; nil for a file each), a
    /// partition each, on line boundaries.
    public static func readText(_ pattern: String, blockSize: String? = "64MB") throws -> Bag<String> {
        let size = try blockSize.map { Int(try MemorySize.bytes($0)) }
        var blocks: [TextBlock] = []
        for path in try FileMatch.paths(pattern, extension: "txt") {
            let length = Int((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
            // Blocks of equal size, no more than `blockSize` each: no short last block to leave
            // a thread idle.
            let count = Swift.max(1, (length + Swift.max(1, size ?? length) - 1) / Swift.max(1, size ?? length))
            for index in 0..<count { blocks.append(TextBlock(path: path, start: length * index / count, end: length * (index + 1) / count)) }
        }
        return Bag(partitions: blocks.map { Self.task(BagSources.readText.erased, "read-text", [.literal($0)]) }, lineage: BagLineage(textBlocks: blocks))
    }

    /// One file per partition in `directory` (made if missing), `part-00000.txt`, …, a line per
    /// element. Returns their paths.
    @discardableResult
    public func toTextFiles(_ directory: String, scheduler: Scheduler? = nil) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory)
        let paths = partitions.indices.map { base.appendingPathComponent(String(format: "part-%05d.txt", $0)).path }
        let writes = zip(partitions, paths).map { partition, path in Self.task(BagSources.writeText.erased, "to-text", [.literal(path), partition]) }
        _ = try await PartitionValues.of(writes, scheduler: scheduler)
        return paths
    }
}

/// The lines that start in a byte range of a file: as a CSV block, a line belongs to the
/// block its first byte is in.
struct TextBlock: Sendable, Codable, Hashable {
    var path: String
    var start: Int
    var end: Int

    func lines() throws -> [String] {
        var lines: [String] = []
        try forEachLine { line in lines.append(String(decoding: line, as: UTF8.self)) }
        return lines
    }

    /// The bytes of each line, without its line end.
    func forEachLine(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withLines { buffer in
            let bytes = buffer.assumingMemoryBound(to: UInt8.self)
            var position = 0
            while position < bytes.count {
                var stop = position
                while stop < bytes.count, bytes[stop] != UInt8(ascii: "\n") { stop += 1 }
                var last = stop
                if last > position, bytes[last - 1] == UInt8(ascii: "\r") { last -= 1 }
                try body(UnsafeRawBufferPointer(rebasing: buffer[position..<last]))
                position = stop + 1
            }
        }
    }

    /// The bytes of the lines that start in the block, line ends and all, in pages mapped
    /// for them alone (a CSV block's way: no array of the block's size to fault in).
    func withLines<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
        let handle = try FileBytes.open(path)
        defer { try? handle.close() }
        let from = Swift.max(0, start - 1)
        var buffer = try BlockBuffer(capacity: end - from + (1 << 20))
        try buffer.fill(from: handle, path: path, offset: from, count: end - from)
        // Read on to the end of the last line that starts in the block.
        while let last = buffer.bytes.last, last != UInt8(ascii: "\n") {
            guard try buffer.extend(from: handle, path: path, offset: from + buffer.count, upTo: UInt8(ascii: "\n")) else { break }
        }
        let bytes = buffer.bytes
        // The block's first line begins after the line end before it (at 0, at once); none
        // does when that is past the block (a line that began in an earlier block fills it).
        var first = 0
        if start > 0 {
            guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            first = newline + 1
        }
        guard from + first < end else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[first...]))
    }
}

/// A bag's reading and writing tasks, and the small sums they need.
enum BagSources {
    static let readText = TaskFunction("bag.read-text") { (block: TextBlock) in try block.lines() }
    static let writeText = TaskFunction("bag.write-text") { (path: String, lines: [String]) -> Int in
        var text = lines.joined(separator: "\n")
        if !lines.isEmpty { text += "\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return lines.count
    }
    static let sum = TaskFunction("bag.sum") { (counts: [Int]) in counts.reduce(0, +) }
    /// Rows (a value per column, in schema order) as a table of `schema`.
    static let toTable = TaskFunction("bag.to-table") { (schema: Schema, rows: [[Scalar?]]) in try Table(rows: rows, schema: schema) }

    static var all: [any TaskFunctionRepresentable] { [readText, writeText, sum, toTable] + TextKernels.all + BuiltInBagKernels.all }
}

extension Bag where Element == [Scalar?] {
    /// A dataframe of these rows (a value per column of `schema`, in its order), a partition per
    /// partition; a value of another type is an error naming its row and column.
    public func toDataFrame(schema: Schema) -> DataFrame {
        DataFrame(plan: .computed(partitions.map { Self.task(BagSources.toTable.erased, "to-table", [.literal(schema), $0]) }, schema))
    }
}
