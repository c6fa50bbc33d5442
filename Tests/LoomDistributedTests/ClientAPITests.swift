import Foundation
import Loom
import LoomTestSupport
import Synchronization
import Testing

/// The client calls beyond submit and gather — scatter, cancel, wait, asCompleted, run — on a
/// cluster of real worker processes.
@Suite(.serialized) struct ClientAPITests {
    @Test func withClientChoosesTheClusterForComputeInItsScope() async throws {
        try await withCluster { cluster, client in  // not the default
            let graph = TestTasks.workerProcessID.delayed()
            let workers = Set(try await client.run(TestTasks.processID, 0).values)
            let inScope = try await withClient(client) { try await graph.compute() }
            #expect(workers.contains(inScope), "computed on a worker of the scope's client")
            let nested = try await withClient(client) { try await Task { try await graph.compute() }.value }
            #expect(workers.contains(nested), "and in the tasks the scope starts")
            let closed = try await Client(cluster, setAsDefault: false)
            await closed.close()
            let fellBack = try await withClient(closed) { try await graph.compute() }
            #expect(fellBack == getpid(), "a closed client runs nothing: this process computes it (and says so)")
        }
    }

    @Test func scatteredHundredMegabytesFeedTasksAndGatherIntact() async throws {
        try await withCluster { _, client in
            // A 251-byte cycle (prime, so no page or chunk boundary lines up with it), built with memcpy.
            let cycle = (0..<251).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
            let bytes = [UInt8](unsafeUninitializedCapacity: 100_000_000) { buffer, count in
                for start in stride(from: 0, to: buffer.count, by: cycle.count) {
                    let length = min(cycle.count, buffer.count - start)
                    cycle.withUnsafeBufferPointer { _ = memcpy(buffer.baseAddress! + start, $0.baseAddress!, length) }
                }
                count = buffer.count
            }
            let scattered = try await client.scatter(bytes)
            let probe = try await client.submit(TestTasks.byteAt, scattered, 99_999_999)
            #expect(try await probe.result() == bytes[99_999_999])
            let back = try await client.gather([scattered])[0]
            #expect(back.count == bytes.count && memcmp(back, bytes, bytes.count) == 0, "the buffer came back changed")
            #expect(try await client.schedulerInfo().map(\.inMemory).reduce(0, +) == 2)
        }
    }

    @Test func withClientClosesItsClientAndItsWorkGoes() async throws {
        try await withCluster { cluster, observer in
            let (scoped, sum) = try await withClient(cluster) { client in
                let ten = try await client.scatter(10)
                return (client, try await client.submit(TestTasks.add, ten, 1).result())
            }
            #expect(sum == 11)
            // Closed: the scheduler released what it held for it, and it can submit no more.
            try await eventually("the scoped client's values released") {
                (try? await observer.schedulerInfo().map(\.inMemory).reduce(0, +)) == 0
            }
            let error = await #expect(throws: LoomError.self) { try await scoped.submit(TestTasks.inc, 1).result() }
            #expect(error?.message.contains("disconnected") == true, "\(String(describing: error))")
        }
    }

    @Test func broadcastPutsAValueOnEveryWorker() async throws {
        try await withCluster { cluster, client in
            let ten = try await client.scatter(10, broadcast: true)
            #expect(try await client.schedulerInfo().map(\.inMemory) == [1, 1])
            // Each worker adds to its own copy: nothing needs to move.
            let sums = try await cluster.workerNames.asyncMap { name in try await client.submit(TestTasks.add, ten, 1, workers: [name]) }
            #expect(try await client.gather(sums) == [11, 11])
            let spread = try await client.scatter(contentsOf: [1, 2, 3, 4])
            #expect(try await client.gather(spread) == [1, 2, 3, 4])
            #expect(try await client.schedulerInfo().map(\.inMemory) == [4, 4], "two each round-robin, plus the broadcast copy and a sum")
        }
    }

    @Test func preferredWorkersThatAreGoneLeaveTheTaskToOthers() async throws {
        try await withCluster { cluster, client in
            let anywhere = try await client.submit(TestTasks.inc, 1, workers: ["no-such-worker"], allowOtherWorkers: true)
            #expect(try await anywhere.result() == 2)
            // While the preferred worker is there, every task waits for it, though the other is idle.
            let preferred = cluster.workerNames[1]
            let pid = try #require(try await client.run(TestTasks.workerProcessID, workers: [preferred]).values.first)
            #expect(Set(try await client.run(TestTasks.workerProcessID).values).count == 2, "one process a worker")
            let pinned = try await client.map(TestTasks.processID, Array(0..<6), workers: [preferred], allowOtherWorkers: true)
            #expect(try await client.gather(pinned) == Array(repeating: pid, count: 6))
        }
    }

    @Test func cancelledTasksNeverRunAndSayCancelled() async throws {
        try await withCluster { cluster, client in
            let blockers = [try await client.submit(TestTasks.sleepThenEcho, 1, 1.5), try await client.submit(TestTasks.sleepThenEcho, 2, 1.5)]
            let marker = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cancel-\(UUID().uuidString)").path
            let queued = try await client.submit(TestTasks.reportThenSleep, marker, 0.0)
            let dependent = try await client.submit(TestTasks.add, try await client.submit(TestTasks.inc, 1), 1)
            try await client.cancel([queued])
            try await dependent.cancel()
            try await client.wait([queued, dependent])
            let error = await #expect(throws: LoomError.self) { try await queued.result() }
            #expect(error?.code == .cancelled)
            #expect(await queued.status == .cancelled)
            #expect(await dependent.error?.code == .cancelled)
            _ = try await client.gather(blockers)
            // Submitted later, a task on each single-threaded worker runs after the cancelled one would have.
            let later = try await cluster.workerNames.asyncMap { name in try await client.submit(TestTasks.inc, 0, workers: [name]) }
            #expect(try await client.gather(later) == [1, 1])
            #expect(!FileManager.default.fileExists(atPath: marker), "the cancelled task ran")
        }
    }

    @Test func waitReturnsDoneAndPendingOrTimesOut() async throws {
        try await withCluster { _, client in
            let quick = try await client.submit(TestTasks.sleepThenEcho, 1, 0.0)
            let slow = try await client.submit(TestTasks.sleepThenEcho, 2, 2.0)
            let first = try await client.wait([quick, slow], returnWhen: .firstCompleted)
            #expect(first.done.map(\.key) == [quick.key] && first.notDone.map(\.key) == [slow.key])
            let error = await #expect(throws: LoomError.self) { try await client.wait([quick, slow], timeout: .milliseconds(50)) }
            #expect(error?.code == .timeout && error?.key == slow.key)
            let all = try await client.wait([quick, slow])
            #expect(all.done.count == 2 && all.notDone.isEmpty)
        }
    }

    @Test func waitForWorkersReturnsOnceEnoughJoinedOrTimesOut() async throws {
        try await withCluster(workers: 2) { cluster, client in
            try await client.waitForWorkers(2)
            let error = await #expect(throws: LoomError.self) { try await client.waitForWorkers(3, timeout: .milliseconds(100)) }
            #expect(error?.code == .timeout && error?.message.contains("only 2 of 3 workers") == true, "\(String(describing: error))")
            // A worker still starting is waited for.
            let growing = Task { try await cluster.scale(3) }
            try await client.waitForWorkers(3, timeout: .seconds(60))
            try await growing.value
        }
    }

    @Test func asCompletedYieldsEachFutureOnceInFinishingOrder() async throws {
        try await withCluster(threads: 2) { _, client in
            let slow = try await client.submit(TestTasks.sleepThenEcho, 1, 1.5)
            let fast = try await client.submit(TestTasks.sleepThenEcho, 2, 0.0)
            let failing = try await client.submit(TestTasks.fail, 3)
            var order: [Key] = []
            for await future in client.asCompleted([slow, fast, failing]) { order.append(future.key) }
            #expect(Set(order) == [slow.key, fast.key, failing.key] && order.count == 3)
            #expect(order.last == slow.key)
            #expect(await failing.error?.message.contains("bad input 3") == true)
        }
    }

    @Test func aCancelledConsumerOfAsCompletedStopsWaiting() async throws {
        try await withCluster { _, client in
            let fast = try await client.submit(TestTasks.sleepThenEcho, 1, 0.0)
            let slow = try await client.submit(TestTasks.sleepThenEcho, 2, 30.0)
            let (seen, announce) = AsyncStream.makeStream(of: Key.self)
            let consumer = Task {
                var keys: [Key] = []
                for await future in client.asCompleted([fast, slow]) {
                    keys.append(future.key)
                    announce.yield(future.key)
                }
                return keys
            }
            for await key in seen { if key == fast.key { break } }
            // Waiting for the slow one: cancelling the consumer ends its loop, not the task.
            consumer.cancel()
            #expect(await consumer.value == [fast.key])
            try await client.cancel([slow])
        }
    }

    @Test func runCallsAFunctionOnEveryWorkerBesideBusyTasks() async throws {
        try await withCluster { _, client in
            let markers = (0..<2).map { FileManager.default.temporaryDirectory.appendingPathComponent("loom-busy-\($0)-\(UUID().uuidString)").path }
            defer { for marker in markers { try? FileManager.default.removeItem(atPath: marker) } }
            let busy = try await markers.asyncMap { marker in try await client.submit(TestTasks.reportThenSleep, marker, 3.0) }
            try await eventually("both busy tasks to start, one on each worker") { markers.allSatisfy { FileManager.default.fileExists(atPath: $0) } }
            let pids = try await client.run(TestTasks.workerProcessID)
            #expect(pids.count == 2 && Set(pids.values).count == 2 && !pids.values.contains(getpid()))
            let busyPIDs = markers.compactMap {
                (try? String(contentsOfFile: $0, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            #expect(Set(pids.values) == Set(busyPIDs), "run ran in the processes busy with the tasks")
            #expect(await busy[0].status == .pending, "run waited for the busy task threads")
            let error = await #expect(throws: LoomError.self) { try await client.run(TestTasks.fail, 7) }
            #expect(error?.message.contains("bad input 7") == true && error?.message.contains("on worker tcp://") == true)
            let named = try await client.submit(TestTasks.inc, 1, key: "my-inc")
            #expect(named.key == "my-inc")
            #expect(try await named.result() == 2)
        }
    }

    @Test func computeDrawsItsProgressBarOnTheCluster() async throws {
        try await withCluster { _, client in
            let total = TestTasks.sum.delayed((0..<6).map { TestTasks.sleepThenEcho.delayed($0, 0.2) })
            let drawn = LinesDrawn()
            let bar = ProgressBar(minimum: 0, width: 7, interval: 0.05, output: .custom { drawn.append($0) })
            let value = try await withClient(client) { try await total.compute(progress: bar) }
            #expect(value == 15)
            let lines = drawn.lines
            #expect(lines.last?.contains("[#######] | 100% Completed") == true, "\(lines.suffix(2))")
            #expect(lines.contains { !$0.contains("100% Completed") }, "it drew while the cluster computed")
        }
    }

    @Test func progressDrawsABarUntilEveryFutureIsDone() async throws {
        try await withCluster { _, client in
            let futures = try await client.persist((0..<6).map { TestTasks.sleepThenEcho.delayed($0, 0.2) })
            let drawn = LinesDrawn()
            await client.progress(futures, bar: ProgressBar(minimum: 0, width: 10, interval: 0.05, output: .custom { drawn.append($0) }))
            let lines = drawn.lines
            #expect(lines.last?.contains("[##########] | 100% Completed") == true, "\(lines.suffix(2))")
            #expect(lines.contains { $0.contains("  0% Completed") || $0.contains(" 16% Completed") || $0.contains(" 33% Completed") },
                    "it drew while waiting")
            for future in futures { #expect(await future.status == .finished) }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

/// What a progress bar drew, collected from its thread.
final class LinesDrawn: Sendable {
    private let stored = Mutex<[String]>([])
    func append(_ line: String) { stored.withLock { $0.append(line) } }
    var lines: [String] { stored.withLock { $0 } }
}
