import Foundation
import Loom

/// The array workloads (bench/README.md, "Arrays"): the expressions the Dask and numpy sides
/// compute (bench/peers/dask_bench.py, numpy_bench.py; sizes and checks as in
/// bench/peers/array_workloads.py). The expression is built untimed; computing it, which draws
/// the random chunks, is timed.
enum ArrayWorkloads {
    static let names = ["array-memory-bound", "array-blas", "array-distributed"]

    /// The side of the square array and of its square chunks.
    static func size(of workload: String, quick: Bool) -> (n: Int, chunk: Int) {
        switch (workload, quick) {
        case ("array-blas", false): (4_000, 1_000)
        case ("array-blas", true): (1_000, 250)
        case (_, false): (20_000, 2_000)
        case (_, true): (4_000, 1_000)
        }
    }

    static func run(_ workload: String, quick: Bool) async throws {
        let (n, chunk) = size(of: workload, quick: quick)
        switch workload {
        case "array-memory-bound":
            let baseline = peakResidentBytes()
            let y = meanOfSum(n: n, chunk: chunk)
            let tasks = try y.graph().count
            let started = ContinuousClock.now
            let value = try await y.compute(scheduler: .threads(2)).scalar
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            let peak = peakResidentBytes() - baseline
            check(value, near: Double(n), within: 1e-3, workload: workload, n: n)
            print("RESULT seconds=\(seconds) tasks=\(tasks) peak_rss_bytes=\(peak) value=\(value)")
        case "array-blas":
            // bench/run sets OPENBLAS_NUM_THREADS=1: the two threads work on blocks.
            let a = ChunkedArray<Double>.random(shape: [n, n], chunks: .shape([chunk, chunk]), seed: 1)
            let y = a.matmul(a).sum()
            let tasks = try y.graph().count
            let started = ContinuousClock.now
            let value = try await y.compute(scheduler: .threads(2)).scalar
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            let nn = Double(n)
            check(value, near: nn * nn * nn / 4, within: 1e-2, workload: workload, n: n)
            print("RESULT seconds=\(seconds) tasks=\(tasks) value=\(value)")
        case "array-distributed":
            let y = meanOfSum(n: n, chunk: chunk)
            let tasks = try y.graph().count
            try await onCluster { client in
                let started = ContinuousClock.now
                let value = try await y.compute(on: client).scalar
                let seconds = (ContinuousClock.now - started) / .seconds(1)
                check(value, near: Double(n), within: 1e-3, workload: workload, n: n)
                print("RESULT seconds=\(seconds) tasks=\(tasks) value=\(value)")
            }
        default:
            preconditionFailure("not an array workload: \(workload)")
        }
    }

    /// `(x + xᵀ).mean(axis: 0).sum()` of a random n × n array: 2 · x.sum() / n, near n.
    static func meanOfSum(n: Int, chunk: Int) -> ChunkedArray<Double> {
        let x = ChunkedArray<Double>.random(shape: [n, n], chunks: .shape([chunk, chunk]), seed: 1)
        return (x + x.transposed()).mean(axis: 0).sum()
    }

    /// Prints the value to standard error, and exits 1 if it is not within `tolerance` (relative)
    /// of what it must be near (the sides draw different random numbers, so they agree only so far).
    static func check(_ value: Double, near expected: Double, within tolerance: Double, workload: String, n: Int) {
        FileHandle.standardError.write(Data("value=\(value) (expected near \(expected), n=\(n))\n".utf8))
        guard abs(value - expected) <= tolerance * expected else {
            FileHandle.standardError.write(Data("wrong result: \(workload) gave \(value), expected \(expected) within \(tolerance * 100) %\n".utf8))
            exit(1)
        }
    }
}
