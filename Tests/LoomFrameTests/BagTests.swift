import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomFrame

/// Bags: every operation against the same loop in plain Swift, on every scheduler and a
/// cluster, text read in blocks cut anywhere, and closures refused where they cannot go.
@Suite struct BagTests {
    static let schedulers: [Scheduler] = [.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)]

    static func text() -> [String] {
        var generator = SplitMix64(seed: 17)
        let vocabulary = ["apple", "ant", "bee", "banana", "cat", "cherry", "dog", "date", "eel", "elderberry", "fig"]
        return (0..<300).map { _ in (0..<Int(generator.next(below: 8))).map { _ in vocabulary[Int(generator.next(below: vocabulary.count))] }.joined(separator: " ") }
    }

    @Test func operationsAgreeWithSwiftOnEveryScheduler() async throws {
        let lines = Self.text()
        let words = lines.flatMap { $0.split(separator: " ").map(String.init) }
        var counts: [String: Int] = [:]
        for word in words { counts[word, default: 0] += 1 }
        let bag = try Bag.fromSequence(lines, partitions: 7)
        for scheduler in Self.schedulers {
            let all = bag.flatMap(TestTasks.words)
            #expect(try await all.compute(scheduler: scheduler) == words, "\(scheduler)")
            #expect(try await all.filter(TestTasks.isLong).map(TestTasks.length).compute(scheduler: scheduler) == words.filter { $0.count > 3 }.map(\.count))
            #expect(try await all.map(TestTasks.length).fold(TestTasks.total, splitEvery: 3).compute(scheduler: scheduler) == words.map(\.count).reduce(0, +))
            #expect(try await all.count().compute(scheduler: scheduler) == words.count)
            let frequencies = try await all.frequencies(splitEvery: 2).compute(scheduler: scheduler)
            #expect(Dictionary(uniqueKeysWithValues: frequencies.map { ($0.value, $0.count) }) == counts, "\(scheduler)")
            let top = try await all.frequencies().topK(3).compute(scheduler: scheduler)
            let expected = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
            #expect(top.map(\.value) == expected.map(\.key) && top.map(\.count) == expected.map(\.value), "\(scheduler)")
            var seen = Set<String>()
            #expect(try await all.distinct().compute(scheduler: scheduler) == words.filter { seen.insert($0).inserted })
            let byLetter = try await all.foldBy(TestTasks.lengthByLetter, splitEvery: 2).compute(scheduler: scheduler)
            let lengths = Dictionary(words.map { (String($0.prefix(1)), $0.count) }, uniquingKeysWith: +)
            #expect(Dictionary(uniqueKeysWithValues: byLetter.map { ($0.key, $0.value) }) == lengths, "\(scheduler)")
            let groups = try await all.groupBy(TestTasks.firstLetter, partitions: 3).compute(scheduler: scheduler)
            #expect(groups.count == Set(words.map { $0.prefix(1) }).count)
            for group in groups { #expect(group.elements == words.filter { $0.hasPrefix(group.key) }, "\(group.key) on \(scheduler)") }
            #expect(try await all.take(5, scheduler: scheduler) == Array(words.prefix(5)))
        }
        try await withCluster(workers: 2, threads: 1) { _, client in
            let top = try await bag.flatMap(TestTasks.words).frequencies().topK(1).compute(on: client)
            #expect(top.first?.count == counts.values.max())
        }
    }

    /// Text steps and `frequencies` after them run as one task, and count what the steps in
    /// turn would have made.
    @Test func frequenciesOfATextStepCountAsTheStepRuns() async throws {
        let lines = Self.text()
        let words = lines.flatMap { $0.split(separator: " ").map(String.init) }
        func counts(_ texts: [String]) -> [String: Int] { texts.reduce(into: [:]) { $0[$1, default: 0] += 1 } }
        let bag = try Bag.fromSequence(lines, partitions: 5)
        let all = bag.flatMap(TestTasks.words), long = all.filter(TestTasks.isLong)
        #expect(all.lineage.counting?.function.name == "words.frequencies" && long.lineage.counting?.function.name == "is-long.frequencies")
        #expect(all.map(TestTasks.length).lineage.counting == nil)
        for scheduler in Self.schedulers {
            let counted = try await all.frequencies(splitEvery: 2).compute(scheduler: scheduler)
            var seen = Set<String>()
            #expect(counted.map(\.value) == words.filter { seen.insert($0).inserted }, "\(scheduler)")
            #expect(Dictionary(uniqueKeysWithValues: counted.map { ($0.value, $0.count) }) == counts(words), "\(scheduler)")
            let longCounts = try await long.frequencies().compute(scheduler: scheduler)
            #expect(Dictionary(uniqueKeysWithValues: longCounts.map { ($0.value, $0.count) }) == counts(words.filter { $0.count > 3 }), "\(scheduler)")
        }
        let shouting = all.map { $0.uppercased() }
        #expect(shouting.lineage.counting?.function.name == "map.frequencies")
        let shouted = try await shouting.frequencies().compute(scheduler: .threads(2))
        #expect(Dictionary(uniqueKeysWithValues: shouted.map { ($0.value, $0.count) }) == counts(words.map { $0.uppercased() }))
    }

    /// Lines with ASCII and Unicode whitespace, long words, empty lines and a byte that is not
    /// UTF-8, as a file's bytes.
    static let messyText: [UInt8] = Array("the  cat\tsat\r\n\nna\u{EF}ve caf\u{E9}\u{00A0}\u{65E5}\u{672C}\u{3000}word\n".utf8)
        + [0x78, 0xFF, 0x79, 0x20, 0x61, 0x0A] + Array(" a-word-longer-than-sixteen-bytes a,,b, \u{2003}x\u{1C}y \n\n".utf8)

    /// Python's `str.split` of the lines, in Swift: at runs of whitespace, or at a separator.
    static func pythonSplit(_ line: String, _ separator: String?) -> [String] {
        guard let separator else { return line.unicodeScalars.split(whereSeparator: TextSplit.isWhitespace).map { String($0) } }
        return line.components(separatedBy: separator)
    }

    @Test func textSplitsAsPythonDoes() {
        let whitespace = TextSplit(separator: nil), comma = TextSplit(separator: ","), colons = TextSplit(separator: "::")
        #expect(whitespace.words(of: "  a b\u{00A0}c\u{3000}d\t\r\ne\u{1F}f  ") == ["a", "b", "c", "d", "e", "f"])
        #expect(whitespace.words(of: "") == [] && whitespace.words(of: " \u{2028} ") == [])
        #expect(whitespace.words(of: "caf\u{E9} \u{65E5}\u{672C}") == ["caf\u{E9}", "\u{65E5}\u{672C}"])
        #expect(comma.words(of: "a,,b") == ["a", "", "b"] && comma.words(of: ",a,") == ["", "a", ""] && comma.words(of: "") == [""])
        #expect(colons.words(of: "a::b:c::") == ["a", "b:c", ""] && colons.words(of: ":") == [":"])
        #expect(TextSplit.stripped(" \u{3000}\tx y\n\u{85}") == "x y" && TextSplit.stripped(" \u{A0} ") == "")
        // The byte rule for non-ASCII whitespace agrees with the scalar rule on every scalar
        // of the Basic Multilingual Plane.
        for value in UInt32(0x80)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let bytes = Array(String(scalar).utf8)
            let length = bytes.withUnsafeBufferPointer { TextSplit.unicodeWhitespaceLength($0.baseAddress!, $0.count) }
            #expect((length > 0) == TextSplit.isWhitespace(scalar) && (length == 0 || length == bytes.count), "U+\(String(value, radix: 16))")
        }
    }

    /// `str.split().flatten().frequencies()` counts from the file's bytes (or the lines'), and
    /// agrees with splitting the lines read, on every scheduler, a cluster, and blocks cut anywhere.
    @Test func splitWordsAreCountedAsTheLinesWouldBe() async throws {
        try await CSVTests.withFolder { folder in
            try Data(Self.messyText).write(to: URL(fileURLWithPath: folder + "/a.txt"))
            try Data(Self.text().joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: folder + "/b.txt"))
            let lines = try await Bag.readText(folder + "/*.txt", blockSize: nil).compute()
            #expect(lines.contains("x\u{FFFD}y a"))
            func counts(_ words: [String]) -> [String: Int] { words.reduce(into: [:]) { $0[$1, default: 0] += 1 } }
            for separator in [nil, ",", " "] as [String?] {
                let words = lines.flatMap { Self.pythonSplit($0, separator) }
                for size in [nil, "1B", "7B", "64B"] as [String?] {
                    // Processes once a separator: each run starts its own.
                    let schedulers = size == "64B" ? Self.schedulers : [.synchronous, .threads(2)]
                    let split = try Bag.readText(folder + "/*.txt", blockSize: size).str.split(separator)
                    #expect(try await split.compute(scheduler: .threads(2)) == lines.map { Self.pythonSplit($0, separator) })
                    let flat = split.flatten()
                    #expect(flat.lineage.counting?.function.name == "bag.read-text-split-frequencies")
                    for scheduler in schedulers {
                        let counted = try await flat.frequencies(splitEvery: 3).compute(scheduler: scheduler)
                        #expect(Dictionary(uniqueKeysWithValues: counted.map { ($0.value, $0.count) }) == counts(words), "\(String(describing: separator)) \(size ?? "files") \(scheduler)")
                    }
                }
                let inMemory = try Bag.fromSequence(lines, partitions: 4).str.split(separator).flatten()
                #expect(inMemory.lineage.counting?.function.name == "bag.str.split-frequencies")
                #expect(try await inMemory.compute() == words)
                let counted = try await inMemory.frequencies().compute(scheduler: .processes(2, executable: TestTasks.workerExecutable))
                #expect(Dictionary(uniqueKeysWithValues: counted.map { ($0.value, $0.count) }) == counts(words))
            }
            try await withCluster(workers: 2, threads: 1) { _, client in
                let top = try await Bag.readText(folder + "/*.txt", blockSize: "100B").str.split().flatten().frequencies().topK(2).compute(on: client)
                let expected = counts(lines.flatMap { Self.pythonSplit($0, nil) }).sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(2)
                #expect(top.map(\.value) == expected.map(\.key) && top.map(\.count) == expected.map(\.value))
            }
        }
        let bag = try Bag.fromSequence([" Ab ", "\u{3000}c\t"], partitions: 2)
        #expect(try await bag.str.strip().compute() == ["Ab", "c"])
        #expect(try await bag.str.strip().str.lower().compute() == ["ab", "c"])
        #expect(try await bag.str.upper().compute() == [" AB ", "\u{3000}C\t"])
        #expect(throws: LoomError.self) { try bag.str.split("") }
    }

    @Test func closuresRunLocallyAndAreRefusedElsewhere() async throws {
        let bag = try Bag.fromSequence(1...100, partitions: 4)
        let squares = bag.map { $0 * $0 }.filter { $0 % 2 == 0 }
        #expect(try await squares.compute(scheduler: .threads(2)) == (1...100).map { $0 * $0 }.filter { $0 % 2 == 0 })
        #expect(try await bag.fold(initial: 0, +).compute(scheduler: .synchronous) == 5050)
        let groups = try await bag.groupBy { $0 % 3 }.compute(scheduler: .threads(2))
        #expect(groups.map(\.elements.count).sorted() == [33, 33, 34])
        let error = await #expect(throws: LoomError.self) { try await squares.compute(scheduler: .processes(2, executable: TestTasks.workerExecutable)) }
        #expect(error?.code == .unsupported, "\(String(describing: error))")
    }

    @Test func textFilesReadInBlocksAndWriteBack() async throws {
        try await CSVTests.withFolder { folder in
            let lines = Self.text()
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/a.txt"))
            try Data(("x\r\ny\n" + "no final newline").utf8).write(to: URL(fileURLWithPath: folder + "/b.txt"))
            for size in [nil, "1B", "7B", "100B", "4KB"] as [String?] {
                let read = try await Bag.readText(folder + "/*.txt", blockSize: size).compute(scheduler: .threads(2))
                #expect(read == lines + ["x", "y", "no final newline"], "blocks of \(size ?? "a file")")
            }
            let out = folder + "/out"
            let paths = try await Bag.fromSequence(lines, partitions: 3).toTextFiles(out)
            #expect(paths.count == 3)
            #expect(try await Bag.readText(out).compute() == lines)
        }
    }

    @Test func rowsBecomeADataFrame() async throws {
        let rows: [[Scalar?]] = (0..<50).map { (n: Int) -> [Scalar?] in
            let x: Scalar? = n % 5 == 0 ? nil : .double(Double(n) / 2)
            return [.string("k\(n % 4)"), .int(Int64(n)), x]
        }
        let schema = Schema([.init("k", .string), .init("n", .int64), .init("x", .double)])
        let frame = try Bag.fromSequence(rows, partitions: 3).toDataFrame(schema: schema)
        for scheduler in Self.schedulers {
            let sums = try await frame.groupBy("k").agg(.sum("n"), .count("x")).compute(scheduler: scheduler)
            let expectedSums: [Int64] = (0..<4).map { (k: Int) -> Int64 in Int64((0..<50).filter { $0 % 4 == k }.reduce(0, +)) }
            let expectedCounts: [Int64] = (0..<4).map { (k: Int) -> Int64 in Int64((0..<50).filter { $0 % 4 == k && $0 % 5 != 0 }.count) }
            #expect(try sums["n_sum"].int64s == expectedSums, "\(scheduler)")
            #expect(try sums["x_count"].int64s == expectedCounts)
        }
        let bad = try Bag.fromSequence([[Scalar?.some(.int(1)), .string("x"), nil]], partitions: 1).toDataFrame(schema: schema)
        let error = await #expect(throws: LoomError.self) { try await bad.compute() }
        #expect(error?.message.contains("row 0, column 'k': 1 is not a string") == true, "\(String(describing: error))")
    }
}

/// The counter under a bag's `frequencies` of text: short strings counted in its slots, long
/// ones by their bytes, all in order of first appearance.
@Suite struct TextCounterTests {
    @Test func countsShortAndLongTextInOrderOfFirstAppearance() {
        var generator = SplitMix64(seed: 15)
        let pool = (0..<3_000).map { $0 % 7 == 0 ? "a long word number \($0)" : "w\($0)" } + ["", "exactly16bytes!!", "seventeen bytes!!"]
        let words = (0..<40_000).map { _ in pool[Int(generator.next(below: pool.count))] }
        var counter = TextCounter()
        var expected: [String: Int] = [:], order: [String] = []
        for word in words {
            counter.add(word, 2)
            if expected[word] == nil { order.append(word) }
            expected[word, default: 0] += 2
        }
        let counted = counter.frequencies
        #expect(counted.map(\.value) == order)
        #expect(counted.map(\.count) == order.map { expected[$0]! })
    }

    /// Words counted from bytes: one string per word, and bytes that are not UTF-8 counted as
    /// the string they are repaired to, with the text that spells it.
    @Test func countsBytesAsTheStringsTheyDecodeTo() {
        let words: [[UInt8]] = [Array("w1".utf8), [0x78, 0xFF], [0x78, 0xFE], Array("x\u{FFFD}".utf8), Array("w1".utf8),
                                Array("a word of more than sixteen bytes".utf8), [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0xC3],
                                Array("a word of more than sixteen bytes".utf8), Array("abcdefghijklmnop\u{FFFD}".utf8)]
        var counter = TextCounter()
        for word in words {
            word.withUnsafeBytes { counter.add(bytes: $0.baseAddress!, length: $0.count, available: $0.count) }
        }
        let counted = counter.frequencies
        #expect(counted.map(\.value) == ["w1", "x\u{FFFD}", "a word of more than sixteen bytes", "abcdefghijklmnop\u{FFFD}"])
        #expect(counted.map(\.count) == [2, 3, 2, 2])
    }
}
