import Foundation
import Loom
import LoomTestSupport
import Testing

/// Arrays kept on a cluster: shared by later computations, spilled as raw bytes when they pass
/// the worker's target fraction, read back right.
@Suite struct PersistTests {
    @Test func aPersistedArrayLargerThanItsWorkersMemoryTargetSpillsAndIsReadBackRight() async throws {
        // 200 MB workers keep about 120 MB in memory; the array is 128 MB (16 blocks of 8 MB) on each.
        try await withMachineToItself {
            try await withCluster(workers: 2, threads: 1, memoryLimit: "200MB") { _, client in
                let x = ChunkedArray<Double>.random(shape: [8_000, 4_000], chunks: .shape([1_000, 1_000]), seed: 11)
                let stored = try await x.persist(on: client)
                let total = try await stored.sum().compute(on: client).scalar
                let columns = try await (stored.T * 2).sum(axis: 1).compute(on: client)
                let expectedTotal = try await x.sum().compute(scheduler: .threads(2)).scalar
                let expectedColumns = try await (x.T * 2).sum(axis: 1).compute(scheduler: .threads(2))
                #expect(Swift.abs(total - expectedTotal) <= 1e-9 * expectedTotal)
                #expect(close(columns, expectedColumns))
                try await eventually("a worker reports spilled blocks") {
                    try await client.schedulerInfo().contains { $0.metrics.spilledBytes > 0 }
                }
                // Persisted blocks need their cluster: a local scheduler says so.
                let local = try #require(await computeError(stored + 1))
                #expect(local.contains("future of a distributed client"))
            }
        }
    }
}
