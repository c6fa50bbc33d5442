import Foundation
import Logging
import Loom
import LoomTestSupport
import ServiceLifecycle
import Testing

@Suite(.serialized) struct ClusterTests {
    @Test func mapAndGatherAcrossWorkers() async throws {
        try await withCluster { cluster, client in
            #expect(cluster.workerNames.count == 2)
            let futures = try await client.map(TestTasks.inc, Array(0..<500))
            #expect(try await client.gather(futures).reduce(0, +) == 500 * 501 / 2)
            let pids = try await client.gather(try await client.map(TestTasks.processID, Array(0..<50)))
            #expect(Set(pids).count == 2, "both workers ran tasks")
            #expect(!pids.contains(getpid()))
            let info = try await client.schedulerInfo()
            #expect(info.count == 2 && info.allSatisfy { $0.threads == 1 && $0.memoryLimit == 1_000_000_000 })
        }
    }

    @Test func aClusterInAServiceGroupClosesOnGracefulShutdown() async throws {
        let cluster = try await LocalCluster(workers: 2, threadsPerWorker: 1, executable: TestTasks.workerExecutable, dashboardAddress: nil)
        let pids = try await withClient(cluster) { client in try await client.run(TestTasks.workerProcessID) }
        #expect(pids.count == 2)
        let group = ServiceGroup(services: [cluster], logger: Logger(label: "test"))
        async let running: Void = group.run()
        await group.triggerGracefulShutdown()
        try await running
        // Closed: its worker processes are gone and its scheduler takes no one.
        try await eventually("the workers to exit") { pids.values.allSatisfy { kill($0, 0) != 0 } }
        await #expect(throws: (any Error).self) { _ = try await Client(cluster, setAsDefault: false) }
    }

    @Test func delayedGraphsAndFuturesAsArguments() async throws {
        try await withCluster { _, client in
            #expect(try await client.compute(treeSum(leaves: 301)) == 301 * 302 / 2)
            let a = try await client.submit(TestTasks.inc, 1)
            let b = try await client.submit(TestTasks.add, a, 10)
            let total = try await client.submit(TestTasks.sum, [a, b, Future<Int>?.none].compactMap { $0 })
            #expect(try await b.result() == 12)
            #expect(try await total.result() == 14)
            #expect(await total.status == .finished)
        }
    }

    @Test func dataMovesPeerToPeer() async throws {
        try await withCluster { cluster, client in
            let names = cluster.workerNames
            // Produced on one worker, consumed on the other: the bytes must travel between them.
            let data = try await client.persist(TestTasks.pattern.delayed(1_000_000), workers: [names[0]])
            let sum = try await client.submit(TestTasks.checksum, data, workers: [names[1]])
            let expected = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }
            #expect(try await sum.result() == expected)
        }
    }

    @Test func errorsCarryKeyFunctionAndMessage() async throws {
        try await withCluster { _, client in
            let bad = TestTasks.fail.delayed(TestTasks.inc.delayed(41))
            let future = try await client.persist(TestTasks.add.delayed(bad, 1))
            let error = await #expect(throws: LoomError.self) { try await future.result() }
            #expect(error?.code == .taskFailed)
            #expect(error?.message.contains("bad input 42") == true)
            #expect(error?.description.contains(bad.key.description) == true)
        }
    }

    @Test func unknownFunctionsAreRefusedNamingThem() async throws {
        try await withCluster { _, client in
            let stranger = TaskFunction("not-on-workers") { (x: Int) in x * 2 }
            let future = try await client.submit(stranger, 21)
            let error = await #expect(throws: LoomError.self) { try await future.result() }
            #expect(error?.message.contains("'not-on-workers'") == true)
        }
    }

    @Test func hundredMegabytesRoundTripIntact() async throws {
        try await withCluster { _, client in
            let big = try await client.submit(TestTasks.pattern, 100_000_000)
            let bytes = try await big.result()
            #expect(bytes.count == 100_000_000)
            #expect(bytes[12_345_678] == UInt8(truncatingIfNeeded: 12_345_678 &* 31 &+ 7))
        }
    }

    @Test func releasedFuturesFreeWorkerMemory() async throws {
        try await withCluster { _, client in
            var futures: [Future<Int>]? = try await client.map(TestTasks.inc, Array(0..<100))
            _ = try await client.gather(futures!)
            #expect(try await client.schedulerInfo().map(\.inMemory).reduce(0, +) == 100)
            futures = nil
            try await eventually("the workers to free the released results") {
                try await client.schedulerInfo().map(\.inMemory).reduce(0, +) == 0
            }
        }
    }
}
