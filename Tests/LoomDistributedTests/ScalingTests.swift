import Foundation
import Loom
import LoomTestSupport
import Testing

/// Scaling a LocalCluster down gracefully, and adaptively, with real worker processes.
@Suite(.serialized) struct ScalingTests {
    @Test func scalingDownCopiesDataOnlyTheRetiringWorkerHolds() async throws {
        try await withCluster(workers: 2) { cluster, client in
            // Scattered values have no recipe: lost, they could not be recomputed.
            let values = (0..<10).map { Array(repeating: UInt8($0), count: 1_000 * ($0 + 1)) }
            let futures = try await client.scatter(contentsOf: values)
            let holders = try await client.schedulerInfo().filter { $0.inMemory > 0 }
            #expect(holders.count == 2, "round robin put values on both workers")
            try await cluster.scale(1)
            #expect(cluster.nannies.count == 1)
            let info = try await client.schedulerInfo()
            #expect(info.count == 1 && info[0].inMemory == 10, "the staying worker holds every value")
            #expect(try await client.gather(futures) == values)
        }
    }

    @Test func adaptGrowsUnderLoadAndShrinksWhenIdle() async throws {
        try await withCluster(workers: 0) { cluster, client in
            cluster.adapt(minimum: 0, maximum: 4, interval: .milliseconds(200), waitCount: 3)
            // 40 tasks of 0.4 s: about 16 s of work for one worker, so the target is the maximum.
            var futures: [Future<Int>]? = try await client.persist((0..<40).map { TestTasks.sleepThenEcho.delayed($0, 0.4) })
            var peak = 0
            let pending = futures!
            let results = Task { try await client.gather(pending) }
            try await eventually("the cluster to grow to 4 workers under load") {
                peak = max(peak, try await client.schedulerInfo().count)
                return peak >= 4
            }
            #expect(try await results.value == Array(0..<40))
            #expect(peak == 4, "grew to the maximum under load")
            futures = nil
            _ = consume pending
            // Idle with nothing held: every worker retires after three recommendations in a row.
            try await eventually("the idle cluster to shrink back to the minimum, no worker") { cluster.workerNames.isEmpty }
            #expect(try await client.schedulerInfo().isEmpty)
            // Work arriving again brings a worker back.
            #expect(try await client.submit(TestTasks.inc, 41).result() == 42)
        }
    }
}
