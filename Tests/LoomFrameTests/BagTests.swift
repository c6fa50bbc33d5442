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
        #expect(all.countingText?.function.name == "words.frequencies" && long.countingText?.function.name == "is-long.frequencies")
        #expect(all.map(TestTasks.length).countingText == nil)
        for scheduler in Self.schedulers {
            let counted = try await all.frequencies(splitEvery: 2).compute(scheduler: scheduler)
            var seen = Set<String>()
            #expect(counted.map(\.value) == words.filter { seen.insert($0).inserted }, "\(scheduler)")
            #expect(Dictionary(uniqueKeysWithValues: counted.map { ($0.value, $0.count) }) == counts(words), "\(scheduler)")
            let longCounts = try await long.frequencies().compute(scheduler: scheduler)
            #expect(Dictionary(uniqueKeysWithValues: longCounts.map { ($0.value, $0.count) }) == counts(words.filter { $0.count > 3 }), "\(scheduler)")
        }
        let shouting = all.map { $0.uppercased() }
        #expect(shouting.countingText?.function.name == "map.frequencies")
        let shouted = try await shouting.frequencies().compute(scheduler: .threads(2))
        #expect(Dictionary(uniqueKeysWithValues: shouted.map { ($0.value, $0.count) }) == counts(words.map { $0.uppercased() }))
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
}
