import Foundation
import Loom
import LoomTestSupport
import Testing

/// Small arrays with known values and plain-loop references to check the chunked results by.
enum Reference {
    /// Values that differ everywhere and are exact in binary: (i · 7 + 3) mod 23, minus 11, over 4.
    static func matrix(_ shape: [Int], salt: Int = 0) -> NDArray<Double> {
        let count = shape.reduce(1, *)
        return try! NDArray(shape: shape, scalars: (0..<count).map { Double(($0 * 7 + 3 + salt * 5) % 23 - 11) / 4 })
    }

    /// Every index of `shape`, row-major: each flat position divided out, last dimension first.
    static func indices(_ shape: [Int]) -> [[Int]] {
        (0..<shape.reduce(1, *)).map { flat in
            var rest = flat
            var index = [Int](repeating: 0, count: shape.count)
            for dimension in shape.indices.reversed() {
                index[dimension] = rest % shape[dimension]
                rest /= shape[dimension]
            }
            return index
        }
    }

    /// An array built from a function of each index.
    static func make(_ shape: [Int], _ value: ([Int]) -> Double) -> NDArray<Double> {
        try! NDArray(shape: shape, scalars: indices(shape).map(value))
    }

    /// Folds `array` along `axes` with `combine`, starting from `initial`.
    static func reduce(_ array: NDArray<Double>, axes: Set<Int>, initial: Double, _ combine: (Double, Double) -> Double) -> NDArray<Double> {
        let kept = array.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        var result = try! NDArray(repeating: initial, shape: kept)
        for index in indices(array.shape) {
            let target = index.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
            result[target] = combine(result[target], array[index])
        }
        return result
    }
}

/// Whether two arrays have one shape and values within `tolerance` (relative, or absolute near 0).
func close(_ a: NDArray<Double>, _ b: NDArray<Double>, tolerance: Double = 1e-9) -> Bool {
    guard a.shape == b.shape else { return false }
    return zip(a.scalars, b.scalars).allSatisfy { x, y in
        (x.isNaN && y.isNaN) || Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(x), Swift.abs(y))
    }
}

/// The error an array's `compute()` throws, as text.
func computeError<E: ArrayElement>(_ array: ChunkedArray<E>) async -> String? {
    do {
        _ = try await array.compute(scheduler: .synchronous)
        return nil
    } catch {
        return "\(error)"
    }
}
