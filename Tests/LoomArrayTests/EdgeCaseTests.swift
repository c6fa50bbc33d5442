import Foundation
import Loom
import Testing

/// Edges where numpy's answer is easy to miss: ties across blocks, ranges through -1, strides of
/// negative indices, empty axes, zero-size blocks, fixed widths of `.partly`.
@Suite struct EdgeCaseTests {
    /// Blocks of one row of blocks hold interleaved flat indices, so a tie goes by index, not by
    /// block order. numpy: np.array([[1., 0], [0, 1]]).argmin() == 1.
    @Test func flattenedArgminTieAcrossBlocksOfOneBlockRowTakesTheLowestFlatIndex() async throws {
        let x = ChunkedArray(try NDArray<Double>(shape: [2, 2], scalars: [1, 0, 0, 1]), chunks: .shape([2, 1]))
        #expect(try await x.argmin().compute(scheduler: .synchronous).scalar == 1)
        let y = ChunkedArray(try NDArray<Double>(shape: [2, 2], scalars: [0, 1, 1, 0]), chunks: .shape([2, 1]))
        #expect(try await y.argmax().compute(scheduler: .synchronous).scalar == 1)
    }

    /// The same fold with NaNs: numpy reports the first NaN in flat order.
    /// np.array([[1, nan], [nan, 1]]).argmax() == 1
    @Test func flattenedArgmaxReportsTheFirstNaNInFlatOrder() async throws {
        let x = ChunkedArray(try NDArray<Double>(shape: [2, 2], scalars: [1, .nan, .nan, 1]), chunks: .shape([2, 1]))
        #expect(try await x.argmax().compute(scheduler: .synchronous).scalar == 1)
    }

    /// Through -1 is through the end. np.arange(5)[-3:] == [2, 3, 4]; np.arange(5)[:] == [0…4].
    @Test func closedRangesEndingAtMinusOneReachTheEnd() async throws {
        let x = ChunkedArray<Int64>.arange(5, chunks: .shape([2]))
        #expect(try await x[(-3)...(-1)].compute(scheduler: .synchronous).scalars == [2, 3, 4])
        #expect(try await x[...(-1)].compute(scheduler: .synchronous).scalars == [0, 1, 2, 3, 4])
    }

    /// Strides of negative indices select just their elements. numpy: a[[-1, -2, -3]] == [4, 3, 2],
    /// a[[-3, -2, -1]] == [2, 3, 4].
    @Test func stridesOfNegativeIndicesSelectTheirElements() async throws {
        let x = ChunkedArray<Int64>.arange(5, chunks: .shape([2]))
        #expect(try await x[stride(from: -1, to: -4, by: -1)].compute(scheduler: .synchronous).scalars == [4, 3, 2])
        #expect(try await x[stride(from: -3, to: 0, by: 1)].compute(scheduler: .synchronous).scalars == [2, 3, 4])
    }

    /// Only an empty reduced axis has no answer: np.zeros((0, 3)).argmin(axis=1) has shape (0,).
    @Test func argminAlongANonEmptyAxisOfAnEmptyArrayIsEmpty() async throws {
        let x = ChunkedArray(try NDArray<Double>(shape: [0, 3], scalars: []), chunks: .shape([1, 3]))
        let result = try await x.argmin(axis: 1).compute(scheduler: .synchronous)
        #expect(result.shape == [0])
    }

    /// A zero-size block (`.sizes` allows one) is left out of the fold (Dask fails here).
    /// np.array([3., 1, 2]).argmin() == 1.
    @Test func argminWithAZeroSizeBlock() async throws {
        let x = ChunkedArray(NDArray<Double>([3, 1, 2]), chunks: .sizes([[0, 3]]))
        #expect(try await x.argmin().compute(scheduler: .synchronous).scalar == 1)
    }

    /// A width given in `.partly` is kept, as Dask's normalize_chunks((6, "auto"), (10, 10)) ==
    /// ((6, 4), (10,)); only chosen widths are evened out.
    @Test func partlyChunksKeepTheFixedWidth() throws {
        let x = ChunkedArray<Double>.ones(shape: [10, 10], chunks: .partly([6, nil]))
        #expect(try x.chunks.sizes == [[6, 4], [10]])
    }
}
