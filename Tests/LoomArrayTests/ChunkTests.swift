import Foundation
import Loom
import LoomTestSupport
import Testing

@Suite struct ChunkTests {
    @Test func explicitChunksAndTheirErrors() throws {
        let x = ChunkedArray<Double>.zeros(shape: [10, 7], chunks: .shape([4, 7]))
        #expect(try x.chunks.sizes == [[4, 4, 2], [7]])
        let y = ChunkedArray<Double>.zeros(shape: [10, 7], chunks: .sizes([[5, 5], [1, 6]]))
        #expect(try y.chunks.sizes == [[5, 5], [1, 6]])
        let bad = ChunkedArray<Double>.zeros(shape: [10, 7], chunks: .sizes([[5, 5], [1, 5]]))
        #expect("\(bad.error!)".contains("dimension 1"))
        #expect(ChunkedArray<Double>.zeros(shape: [10, 7], chunks: .shape([4])).error != nil)
        #expect(ChunkedArray<Double>.zeros(shape: [10, 7], chunks: .shape([0, 2])).error != nil)
    }

    @Test func autoChunksShareTheBudgetAsDasksDo() throws {
        // 128 MiB of float32 is 33 554 432 elements: square blocks of 5 792, made equal.
        let square = ChunkedArray<Float>.ones(shape: [50_000, 50_000])
        let layout = try square.chunks
        #expect(layout.sizes[0] == layout.sizes[1])
        #expect(layout.grid == [9, 9])
        #expect(layout.sizes[0].max()! * layout.sizes[1].max()! * 4 <= 128 * 1_048_576)
        // A short dimension is taken whole and its share goes to the other.
        let wide = try ChunkedArray<Double>.ones(shape: [10, 100_000_000]).chunks
        #expect(wide.sizes[0] == [10])
        #expect(wide.sizes[1].max()! * 10 * 8 <= 128 * 1_048_576)
        #expect(wide.sizes[1].max()! * 10 * 8 > 100 * 1_048_576)
        // A dimension given, the rest chosen.
        let partly = try ChunkedArray<Double>.ones(shape: [1_000, 1_000_000], chunks: .partly([100, nil])).chunks
        #expect(partly.sizes[0] == [Int](repeating: 100, count: 10))
        #expect(partly.sizes[1].max()! * 100 * 8 <= 128 * 1_048_576)
        // Small arrays are one block.
        #expect(try ChunkedArray<Double>.ones(shape: [300, 200]).chunks.grid == [1, 1])
    }

    @Test func theBudgetFollowsTheSmallestWorkersMemoryPerThread() throws {
        let workers = [
            WorkerCapacity(threads: 2, memoryLimit: 16_000_000_000),
            WorkerCapacity(threads: 4, memoryLimit: 1_000_000_000),
            WorkerCapacity(threads: 1, memoryLimit: 0),
        ]
        // 1 GB over 4 threads is 250 MB a thread; an eighth of it per block.
        #expect(ChunkBudget.fitting(workers).bytes == 250_000_000 / 8)
        // Large workers keep the configured budget.
        #expect(ChunkBudget.fitting([workers[0]]).bytes == ChunkBudget.configured.bytes)
        #expect(ChunkBudget.fitting([workers[2]]) == .configured)
        let x = ChunkedArray<Double>.ones(shape: [20_000, 20_000])
        let onSmall = try x.chunks(budget: .fitting(workers))
        #expect(onSmall.sizes[0].max()! * onSmall.sizes[1].max()! * 8 <= 250_000_000 / 8)
        #expect(onSmall.blockCount > (try x.chunks).blockCount)
    }

    @Test func anArrayComputedOnASmallClusterGetsBlocksThatFitItsWorkers() async throws {
        try await withCluster(workers: 1, threads: 2, memoryLimit: "256MB") { _, client in
            let budget = ChunkBudget.fitting(try await client.workerCapacities())
            #expect(budget.bytes == 256_000_000 / 2 / 8)
            let x = ChunkedArray<Double>.ones(shape: [4_000, 4_000])
            let layout = try x.chunks(budget: budget)
            #expect(layout.sizes[0].max()! * layout.sizes[1].max()! * 8 <= budget.bytes)
            #expect(try x.chunks.grid == [1, 1])
            #expect(try await x.sum().compute(on: client).scalar == 16_000_000)
        }
    }
}
