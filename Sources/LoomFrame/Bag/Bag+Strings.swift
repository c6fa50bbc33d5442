import LoomCore

extension Bag where Element == String {
    /// Text methods applied to every element (Dask's `bag.str`):
    /// `try Bag.readText("logs/*.txt").str.split().flatten().frequencies()`.
    public var str: BagStrings { BagStrings(bag: self) }
}

/// The `str` methods of a bag of text, each a task per partition.
public struct BagStrings: Sendable {
    let bag: Bag<String>

    /// Each line's words, as Python's `str.split` makes them: with no separator, split at runs
    /// of whitespace, no word empty; with one, at each occurrence of it, empty words kept.
    /// `flatten()` of it then `frequencies()` count the words as they are split, straight from
    /// the file's bytes after `readText`, without a string per line or per word.
    public func split(_ separator: String? = nil) throws -> Bag<[String]> {
        guard separator != "" else { throw LoomError(.invalidArgument, "str.split: the separator is empty (give nil to split at whitespace)") }
        let split = TextSplit(separator: separator)
        let partitions = bag.partitions.map { Bag<String>.task(TextKernels.split.erased, "str-split", [.literal(split), $0]) }
        return Bag<[String]>(partitions: partitions, lineage: BagLineage(split: (split, bag.partitions, bag.lineage.textBlocks)))
    }

    /// Each element without the whitespace at its ends (Python's `str.strip()`).
    public func strip() -> Bag<String> { bag.applying(TextKernels.strip.erased, "str-strip") }
    public func lower() -> Bag<String> { bag.applying(TextKernels.lower.erased, "str-lower") }
    public func upper() -> Bag<String> { bag.applying(TextKernels.upper.erased, "str-upper") }
}

extension Bag {
    /// The elements of each element (Dask's `flatten`).
    public func flatten<Inner: Codable & Sendable>() -> Bag<Inner> where Element == [Inner] {
        let flattened = applying(BagKernels<Inner>.shared.flatten.erased, "flatten") as Bag<Inner>
        guard let (split, lines, blocks) = lineage.split else { return flattened }
        // Only `str.split` sets `split`, so these are words, and `frequencies` counts them.
        let counting = blocks.map { blocks in (TextKernels.readTextSplitFrequencies.erased, blocks.map { [NodeInput.literal(split), .literal($0)] }) }
            ?? (TextKernels.splitFrequencies.erased, lines.map { [.literal(split), $0] })
        return Bag<Inner>(partitions: flattened.partitions, lineage: BagLineage(counting: counting))
    }
}

/// The tasks of `Bag.str`, and the word counts `flatten().frequencies()` fuses them into.
enum TextKernels {
    static let split = TaskFunction("bag.str.split") { (split: TextSplit, lines: [String]) in lines.map(split.words) }
    static let strip = TaskFunction("bag.str.strip") { (lines: [String]) in lines.map(TextSplit.stripped) }
    static let lower = TaskFunction("bag.str.lower") { (lines: [String]) in lines.map { $0.lowercased() } }
    static let upper = TaskFunction("bag.str.upper") { (lines: [String]) in lines.map { $0.uppercased() } }

    /// The frequencies of the words of lines in memory: a string only for a word first seen.
    static let splitFrequencies = TaskFunction("bag.str.split-frequencies") { (split: TextSplit, lines: [String]) -> [Frequency<String>] in
        var counter = TextCounter()
        for var line in lines {
            line.withUTF8 { count(UnsafeRawBufferPointer($0), split, into: &counter) }
        }
        return counter.frequencies
    }

    /// The frequencies of the words of a text block's lines, read from its bytes: no string
    /// per line, none per word but for a word first seen. With no separator, line ends are
    /// whitespace like any other, so the block's lines are split as one run of bytes.
    static let readTextSplitFrequencies = TaskFunction("bag.read-text-split-frequencies") { (split: TextSplit, block: TextBlock) -> [Frequency<String>] in
        var counter = TextCounter()
        if split.separator == nil {
            try block.withLines { count($0, split, into: &counter) }
        } else {
            try block.forEachLine { count($0, split, into: &counter) }
        }
        return counter.frequencies
    }

    @inline(__always)
    private static func count(_ bytes: UnsafeRawBufferPointer, _ split: TextSplit, into counter: inout TextCounter) {
        // An empty line's one word (with a separator) is at a placeholder address: 0 readable.
        let end = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) + bytes.count
        split.forEachWord(bytes) { start, length in counter.add(bytes: start, length: length, available: end - start) }
    }

    static var all: [any TaskFunctionRepresentable] { [split, strip, lower, upper, splitFrequencies, readTextSplitFrequencies] }
}
