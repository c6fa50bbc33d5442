import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomFrame
@testable import LoomShuffle
import Synchronization

/// The peer-to-peer shuffle on a cluster: merges and sorts lower to it there (and to tasks
/// locally), agree with a plain Swift sort, and survive a worker SIGKILLed mid-shuffle.
@Suite struct ShuffleTests {
    static func table(rows: Int, marker: String = "") throws -> (Table, [Int64]) {
        var generator = SplitMix64(seed: 31)
        let keys = (0..<rows).map { _ in Int64(generator.next(below: 1_000_000)) }
        return (try Table(["k": Column(keys), "v": Column((0..<rows).map { Double($0) }), "marker": Column([String](repeating: marker, count: rows))]), keys)
    }

    /// The functions of a plan's tasks, lowered as for a cluster or not.
    static func functions(_ frame: DataFrame, onCluster: Bool) async throws -> Set<String> {
        let inputs = try FrameShuffling.$clusterShuffler.withValue(onCluster ? P2PShuffler(workersByService: ["127.0.0.1:1": ["tcp://127.0.0.1:2"]]) : nil) { try frame.plan.optimized().partitions() }
        var names = Set<String>()
        func visit(_ input: NodeInput) {
            switch input {
            case .node(let node):
                names.insert(node.function.name)
                node.inputs.forEach(visit)
            case .list(let inputs): inputs.forEach(visit)
            default: break
            }
        }
        inputs.forEach(visit)
        return names
    }

    @Test func splitOutShufflesPartialsByKey() async throws {
        FrameShuffling.install(forClusters: P2PShuffler())
        var generator = SplitMix64(seed: 8)
        let keys = (0..<5000).map { _ in "g\(generator.next(below: 700))" }
        let values = (0..<5000).map { _ in Int64(generator.next(below: 100)) }
        let table = try Table(["g": Column(keys), "v": Column(values)])
        var sums: [String: Int64] = [:]
        for (key, value) in zip(keys, values) { sums[key, default: 0] += value }
        let frame = try DataFrame(table, partitions: 5).groupBy("g").agg(.sum("v"), .count(), splitOut: 3)
        #expect(frame.partitionCount == 3)
        #expect(try frame.explain().hasPrefix("GroupBy [g]: v_sum = sum(v), count = size(*); partials shuffled by key into 3 partitions"))
        func check(_ result: Table, _ label: String) throws {
            let got = Dictionary(uniqueKeysWithValues: zip(try result["g"].strings, try result["v_sum"].int64s))
            #expect(got == sums, "\(label)")
        }
        for scheduler in [Scheduler.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)] {
            try check(try await frame.compute(scheduler: scheduler), "\(scheduler)")
            // Each output partition's groups are its own, sorted.
            let first = try await frame.partition(0).compute(scheduler: scheduler)
            #expect(try first["g"].strings == first["g"].strings.sorted())
        }
        try await withCluster(workers: 2, threads: 1) { _, client in
            try check(try await frame.compute(on: client), "cluster")
        }
    }

    @Test func clustersShufflePeerToPeerAndLocalSchedulersThroughTasks() async throws {
        FrameShuffling.install(forClusters: P2PShuffler())  // as Loom.bootstrap does
        let (table, keys) = try Self.table(rows: 3000)
        let sorted = try DataFrame(table, partitions: 6).sortValues("k")
        let local = try await Self.functions(sorted, onCluster: false)
        #expect(local.isSuperset(of: ["frame.shuffle-spill", "frame.shuffle-take"]) && !local.contains("shuffle.transfer"), "\(local)")
        let cluster = try await Self.functions(sorted, onCluster: true)
        #expect(cluster.isSuperset(of: ["shuffle.transfer", "shuffle.barrier", "shuffle.unpack"]), "\(cluster)")
        try await withCluster(workers: 2, threads: 2) { _, client in
            #expect(try await sorted.compute(on: client)["k"].int64s == keys.sorted())
            // Each unpack ran beside its file: pieces came over the network, no file did.
            let statistics = try await client.run(ShuffleKernels.statistics).values
            #expect(statistics.count == 2 && statistics.allSatisfy { $0.outputsTaken > 0 && $0.piecesReceived > 0 }, "\(statistics)")
            #expect(statistics.allSatisfy { $0.outputsServed == 0 }, "\(statistics)")
            let other = try Table(["k": Column((0..<500).map { Int64($0 * 2000) }), "w": Column((0..<500).map { Int64($0) })])
            let merged = try await DataFrame(table, partitions: 6).merge(try DataFrame(other, partitions: 6), on: "k").compute(on: client)
            let expected = keys.filter { $0 % 2000 == 0 && $0 < 1_000_000 }
            #expect(try merged["k"].int64s.sorted() == expected.sorted())
        }
    }

    @Test func onATLSClusterPiecesTravelTheWorkersOwnTLSLinks() async throws {
        let (table, keys) = try Self.table(rows: 3000)
        try await withCluster(workers: 2, security: try Security.temporary()) { _, client in
            let services = try await client.run(ShuffleKernels.address)
            #expect(services.count == 2 && services.allSatisfy { $0.key == $0.value && $0.value.hasPrefix("tls://") }, "\(services)")
            #expect(try await DataFrame(table, partitions: 6).sortValues("k").compute(on: client)["k"].int64s == keys.sorted())
            #expect(try await client.run(ShuffleKernels.statistics).values.allSatisfy { $0.piecesReceived > 0 })
        }
    }

    @Test func piecesNoUnpackFetchedAreReleasedWithTheirRun() async throws {
        FrameShuffling.install(forClusters: P2PShuffler())
        let (table, _) = try Self.table(rows: 2000)
        let sorted = try DataFrame(table, partitions: 4).sortValues("k")
        let lowered = LoweredRuns()
        // The barrier alone: every transfer runs, no unpack does.
        func barrier(_ input: NodeInput) -> TaskNode? {
            switch input {
            case .node(let node): node.function.name == "shuffle.barrier" ? node : node.inputs.lazy.compactMap(barrier).first
            case .list(let inputs): inputs.lazy.compactMap(barrier).first
            default: nil
            }
        }
        try await withCluster(workers: 2, threads: 1) { _, client in
            let shuffler = try await P2PShuffler().prepared(on: client)
            let outputs = try FrameShuffling.$loweredRuns.withValue(lowered) {
                try FrameShuffling.$clusterShuffler.withValue(shuffler) { try sorted.plan.optimized().partitions() }
            }
            let node = try #require(outputs.lazy.compactMap(barrier).first)
            _ = try await client.run(TaskGraph(outputs: [node]))
            // Pushed to both workers: each is the destination of half the outputs.
            #expect(try await client.run(ShuffleKernels.heldRuns).values.allSatisfy { $0 == lowered.runs })
            await P2PShuffler().release(lowered.runs, on: client)
            #expect(try await client.run(ShuffleKernels.heldRuns).values.allSatisfy { $0.isEmpty })
        }
    }

    /// A worker killed after 6 input partitions (transfers under way), after all 24 (pieces
    /// waiting on disk), or after 26 marks (output partitions done: their pieces were served,
    /// so recomputing the lost ones restarts the run).
    @Test(.serialized, arguments: [6, 24, 26]) func aWorkerKilledMidShuffleRestartsIt(after marks: Int) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-shuffle-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (table, keys) = try Self.table(rows: 24_000, marker: folder)
        let frame = try DataFrame(table, partitions: 24).mapPartitions(TestTasks.markThenPass, schema: table.schema).sortValues("k")
            .mapPartitions(TestTasks.markThenPass, schema: table.schema)
        try await withCluster(workers: 3, threads: 1) { _, client in
            async let result = frame.compute(on: client)
            // The worker that wrote the newest mark is the one killed.
            var victim: Int32 = 0
            try await eventually("\(marks) partitions computed") {
                // Marks only: not the temporary file a mark is written through before its rename.
                let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }
                guard names.count >= marks else { return false }
                let newest = names.max { a, b in
                    let dates = [a, b].map { (try? FileManager.default.attributesOfItem(atPath: folder + "/" + $0)[.modificationDate] as? Date) ?? .distantPast }
                    return dates[0] < dates[1]
                }
                victim = newest.flatMap { Int32($0.prefix { $0 != "-" }) } ?? 0
                return victim != 0
            }
            let restartsBefore = FrameShuffling.restartCount
            kill(victim, SIGKILL)
            let sorted = try await result
            // Lost transfers rerun as the scheduler reruns any task; lost served pieces restart the run.
            print("shuffle restarts after the kill at \(marks) marks: \(FrameShuffling.restartCount - restartsBefore)")
            #expect(try sorted["k"].int64s == keys.sorted())
            #expect(sorted.rowCount == 24_000)
            // Nothing of the lost run, or of the one that finished, is left on any worker.
            let held = try await client.run(ShuffleKernels.heldRuns)
            #expect(held.values.allSatisfy { $0.isEmpty }, "\(held)")
        }
    }
}

/// The local schedulers' shuffle: pieces over the memory limit go to files, through files
/// between processes, and nothing is left behind, also when the computation fails.
@Suite(.serialized) struct SpillingShuffleTests {
    /// `body` with every piece spilled into a folder of its own, and what is left in it after.
    static func spillingAll<T>(_ body: () async throws -> T) async throws -> (T, leftovers: [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-spill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await FrameShuffling.$localSpillDirectory.withValue(folder) {
            try await FrameShuffling.$localMemoryLimit.withValue(0) { try await body() }
        }
        return (result, (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
    }

    @Test func piecesOverTheLimitSpillAndNothingIsLeftBehind() async throws {
        let (table, keys) = try ShuffleTests.table(rows: 6000)
        let sorted = try DataFrame(table, partitions: 6).sortValues("k")
        for scheduler in [Scheduler.synchronous, .threads(2), .processes(2, executable: TestTasks.workerExecutable)] {
            let spilled = ShuffleSpill.shared.spilledPieces
            let (result, leftovers) = try await Self.spillingAll { try await sorted.compute(scheduler: scheduler) }
            #expect(try result["k"].int64s == keys.sorted(), "\(scheduler)")
            // In this process on one thread or several; in the workers (through files) on processes.
            if scheduler.kind != .processes { #expect(ShuffleSpill.shared.spilledPieces - spilled == 36, "\(scheduler)") }
            #expect(leftovers.isEmpty, "\(scheduler)")
        }
        // Under the limit, pieces stay in memory.
        let spilled = ShuffleSpill.shared.spilledPieces
        #expect(try await sorted.compute(scheduler: .threads(2))["k"].int64s == keys.sorted())
        #expect(ShuffleSpill.shared.spilledPieces == spilled)
    }

    @Test func aFailedComputationDropsItsPieces() async throws {
        let (table, _) = try ShuffleTests.table(rows: 3000)
        struct Refused: Error {}
        // Every piece spills; then the first sorted partition fails, before the others are taken.
        let failing = try DataFrame(table, partitions: 4).sortValues("k").mapPartitions(schema: table.schema) { _ in throw Refused() }
        let spilled = ShuffleSpill.shared.spilledPieces
        let (failure, leftovers) = try await Self.spillingAll { () async -> (any Error)? in
            do { _ = try await failing.compute(scheduler: .synchronous); return nil } catch { return error }
        }
        #expect(failure.map { "\($0)".contains("Refused") } == true)
        #expect(ShuffleSpill.shared.spilledPieces - spilled == 16)
        #expect(leftovers.isEmpty)
    }
}

/// The shuffle service alone: pieces taken once, a garbled batch refused whole, a loss the
/// computation restarts on.
@Suite struct ShuffleServiceTests {
    @Test func piecesAreTakenOnceAndAGarbledBatchLeavesNothing() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-shuffle-service-\(UUID().uuidString)").path
        let service = try ShuffleService(directory: folder, address: "tcp://127.0.0.1:1", peers: nil)
        defer { service.stop() }
        let piece = try Table(["k": Column([Int64(3), 1, 2])])
        try service.append(run: "run-a", output: 1, input: 4, piece: piece)
        try service.append(run: "run-a", output: 1, input: 2, piece: piece.head(1))
        let taken = try #require(try service.take(run: "run-a", output: 1))
        #expect(taken.map(\.input) == [4, 2])
        #expect(try taken[0].piece["k"].int64s == [3, 1, 2])
        #expect(try service.take(run: "run-a", output: 1) == nil, "taken once")

        // A pushed batch lands in its outputs' files; a garbled one is refused, naming where.
        var batch = ShuffleBatch()
        batch.add(output: 0, input: 1, encoded: try ValueCodec.encode(piece))
        batch.add(output: 2, input: 1, encoded: try ValueCodec.encode(piece.head(2)))
        #expect(try service.receive(run: "run-b", batch: batch.bytes) == 2)
        var claiming = ShuffleBatch()
        claiming.add(output: 0, input: 2, encoded: try ValueCodec.encode(piece))
        let tooLong = #expect(throws: LoomError.self) { try service.receive(run: "run-b", batch: batch.bytes + claiming.bytes.dropLast(3)) }
        #expect(tooLong?.message.contains("says at byte \(batch.bytes.count) that a piece has") == true, "\(String(describing: tooLong))")
        let cut = #expect(throws: LoomError.self) { try service.receive(run: "run-b", batch: Array(claiming.bytes.prefix(9))) }
        #expect(cut?.message.contains("ends inside a piece's header at byte 0") == true, "\(String(describing: cut))")
        #expect(throws: LoomError.self) { try service.receive(run: "../run-b", batch: batch.bytes) }
        #expect(service.statistics == ShuffleStatistics(piecesReceived: 2, outputsTaken: 1, outputsServed: 0))
        let served = try #require(try service.serve(run: "run-b", output: 0))
        #expect(try served.count > 12 && service.serve(run: "run-b", output: 0) == nil)
        #expect(try service.take(run: "run-b", output: 2)?.map(\.input) == [1], "the refused batches appended nothing")

        let lost = LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): output 0 of shuffle run run-a: cannot be fetched")
        let attempts = Mutex(0)
        let value = try await FrameShuffling.onCluster(NoRunner()) { () async throws -> Int in
            let attempt = attempts.withLock { $0 += 1; return $0 }
            if attempt == 1 { throw lost }
            return 7
        }
        #expect(value == 7 && attempts.withLock { $0 } == 2)
    }
}

/// A runner for code that must not run graphs (the retry loop alone).
private final class NoRunner: GraphRunner {
    func run(_ graph: TaskGraph) async throws -> [any Sendable] { throw LoomError(.unsupported, "no graphs here") }
    var acceptsGraphs: Bool { false }
    func workerCapacities() async throws -> [WorkerCapacity] { [] }
    func persist(_ graph: TaskGraph) async throws -> PersistedOutputs { throw LoomError(.unsupported, "no graphs here") }
}
