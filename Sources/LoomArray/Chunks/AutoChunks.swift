import LoomLocal
import LoomCore

/// Block sizes chosen from a byte budget, as Dask's `auto_chunks`: the dimensions left to
/// choose share the budget equally (blocks as square as the shape allows), a dimension shorter
/// than its share is taken whole and its slack goes to the others, and each dimension's blocks
/// are made equal (`10 000` in blocks of at most 3 000 becomes four of 2 500, not 3 000 ×3 + 1 000).
enum AutoChunks {
    static func layout(shape: [Int], fixed: [Int?], elementBytes: Int, budget: Int) throws -> ChunkLayout {
        var widths = [Int](repeating: 0, count: shape.count)
        var fixedElements = 1
        var open: [Int] = []
        for (dimension, width) in fixed.enumerated() {
            if let width {
                guard width > 0 else { throw LoomError(.invalidArgument, "chunk size \(width) for dimension \(dimension) must be at least 1") }
                widths[dimension] = Swift.min(width, Swift.max(shape[dimension], 1))
                fixedElements *= widths[dimension]
            } else {
                open.append(dimension)
            }
        }
        var elements = Swift.max(1.0, Double(budget / Swift.max(elementBytes, 1)) / Double(fixedElements))
        // Dimensions shorter than their share are taken whole, the rest share what is left.
        var remaining = open
        while !remaining.isEmpty {
            let share = Foundation.pow(elements, 1 / Double(remaining.count))
            let short = remaining.filter { Double(shape[$0]) <= share }
            if short.isEmpty {
                for dimension in remaining { widths[dimension] = Swift.max(1, Int(share)) }
                break
            }
            for dimension in short {
                widths[dimension] = Swift.max(shape[dimension], 1)
                elements = Swift.max(1, elements / Double(widths[dimension]))
            }
            remaining.removeAll { short.contains($0) }
        }
        return ChunkLayout(shape.indices.map { dimension in
            let size = shape[dimension]
            guard size > 0 else { return [0] }
            // A width given is kept as given (Dask's too): only chosen ones are evened out.
            if fixed[dimension] != nil { return ChunkLayout.even(size: size, width: widths[dimension]) }
            // Equal blocks: as many as the width asks for, then as even as possible.
            let blocks = (size + widths[dimension] - 1) / widths[dimension]
            let width = (size + blocks - 1) / blocks
            return ChunkLayout.even(size: size, width: width)
        })
    }
}

/// The bytes an `.auto` block aims at.
///
/// On its own it is `array.chunk-size` (128 MiB, Dask's default). When a cluster computes the
/// array it is also at most an eighth of the smallest worker's memory per thread: a task reads a
/// few blocks and writes one, and the worker keeps results for its next tasks besides, so each
/// thread's share must hold several blocks and leave room (docs/array.md).
public struct ChunkBudget: Sendable, Equatable {
    public var bytes: Int

    public init(bytes: Int) { self.bytes = Swift.max(1, bytes) }

    /// How many blocks a thread's share of memory must hold: a task's inputs and output,
    /// twice over, so values waiting for their next task fit beside the one running.
    public static let blocksPerThread = 8

    /// The configured budget (`array.chunk-size`).
    public static var configured: ChunkBudget {
        ChunkBudget(bytes: Int(clamping: ((try? Configuration.current.section(ArraySettings.self)) ?? ArraySettings()).chunkSize))
    }

    /// The configured budget, lowered to fit the smallest worker's memory per thread; workers
    /// without a memory limit do not lower it.
    public static func fitting(_ workers: [WorkerCapacity], configured: ChunkBudget = .configured) -> ChunkBudget {
        let perThread = workers.filter { $0.memoryLimit > 0 }.map { Int(clamping: $0.memoryLimit) / Swift.max($0.threads, 1) }
        guard let smallest = perThread.min() else { return configured }
        return ChunkBudget(bytes: Swift.min(configured.bytes, smallest / blocksPerThread))
    }
}

import Foundation
