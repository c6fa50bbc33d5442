import LoomCore

/// Partial results of `argmin`/`argmax`: the best value so far at each position and its index
/// along the reduced axis (or in the flattened array).
public struct ArgPartial<E: ArrayElement>: Codable, Sendable, Equatable {
    var values: NDArray<E>
    var indices: NDArray<Int64>
}

/// Where a block lies, for the indices an arg-reduction reports.
struct ArgPlan: Codable, Sendable, Equatable {
    /// true: the smallest (argmin); false: the largest.
    var smallest: Bool
    /// The reduced axis, or nil for the flattened array.
    var axis: Int?
    var blockStart: [Int]
    var arrayShape: [Int]
}

enum ArgReduction {
    /// `a` beats `b` when strictly better, or NaN (numpy reports the first NaN).
    @inline(__always)
    static func better<E: ArrayElement>(_ a: E, than b: E, smallest: Bool) -> Bool {
        if a != a { return b == b }
        return smallest ? E.less(a, b) : E.less(b, a)
    }

    /// One block: the best value along the axis (kept as length 1) and its index in the array.
    @_specialize(where E == Double)
    @_specialize(where E == Float)
    @_specialize(where E == Int64)
    @_specialize(where E == Int32)
    static func block<E: ArrayElement>(_ plan: ArgPlan, _ block: NDArray<E>) throws -> ArgPartial<E> {
        guard block.count > 0 else {
            throw LoomError(.invalidArgument, "\(plan.smallest ? "argmin" : "argmax") of an empty block (shape \(block.shape)) has no answer")
        }
        let shape = block.shape
        let strides = block.strides
        let arrayStrides = NDArray<E>.strides(of: plan.arrayShape)
        guard let axis = plan.axis else {
            var best = 0
            for position in 1..<block.count where better(block.scalars[position], than: block.scalars[best], smallest: plan.smallest) { best = position }
            // The flat index of `best` in the whole array.
            var rest = best, global = 0
            for dimension in shape.indices {
                global += (rest / strides[dimension] + plan.blockStart[dimension]) * arrayStrides[dimension]
                rest %= strides[dimension]
            }
            return ArgPartial(values: NDArray(uncheckedShape: [1], scalars: [block.scalars[best]]), indices: NDArray(uncheckedShape: [1], scalars: [Int64(global)]))
        }
        guard axis >= 0 && axis < shape.count else { throw LoomError(.invalidArgument, "argument axis \(axis) is out of range for a block of shape \(shape)") }
        var kept = shape
        kept[axis] = 1
        let keptCount = kept.reduce(1, *)
        var values = [E](repeating: .zero, count: keptCount), indices = [Int64](repeating: 0, count: keptCount)
        let keptStrides = NDArray<E>.strides(of: kept)
        for position in 0..<keptCount {
            var rest = position, base = 0
            for dimension in kept.indices {
                base += (rest / keptStrides[dimension]) * strides[dimension]
                rest %= keptStrides[dimension]
            }
            var best = 0
            for step in 1..<shape[axis] where better(block.scalars[base + step * strides[axis]], than: block.scalars[base + best * strides[axis]], smallest: plan.smallest) {
                best = step
            }
            values[position] = block.scalars[base + best * strides[axis]]
            indices[position] = Int64(best + plan.blockStart[axis])
        }
        return ArgPartial(values: NDArray(uncheckedShape: kept, scalars: values), indices: NDArray(uncheckedShape: kept, scalars: indices))
    }

    /// Folds partials in array order; on a tie the earlier (lower index) wins, as numpy's.
    static func combine<E: ArrayElement>(smallest: Bool, _ partials: [ArgPartial<E>]) throws -> ArgPartial<E> {
        guard var result = partials.first else { throw LoomError(.invalidArgument, "an arg-reduction step got no partial results") }
        for (number, partial) in partials.enumerated().dropFirst() {
            guard partial.values.shape == result.values.shape else {
                throw LoomError(.invalidArgument, "partial result \(number) of an arg-reduction has shape \(partial.values.shape), the first \(result.values.shape)")
            }
            // A tie (equal values, or both NaN) goes to the lower index, whatever the fold order:
            // blocks of one row of blocks hold interleaved flat indices.
            for position in 0..<result.values.count {
                let candidate = partial.values.scalars[position], current = result.values.scalars[position]
                guard better(candidate, than: current, smallest: smallest)
                    || (!better(current, than: candidate, smallest: smallest) && partial.indices.scalars[position] < result.indices.scalars[position])
                else { continue }
                result.values.scalars[position] = partial.values.scalars[position]
                result.indices.scalars[position] = partial.indices.scalars[position]
            }
        }
        return result
    }

    /// The indices, under the result's shape.
    static func indices<E: ArrayElement>(_ partial: ArgPartial<E>, shape: [Int]) throws -> NDArray<Int64> {
        guard shape.reduce(1, *) == partial.indices.count else {
            throw LoomError(.invalidArgument, "\(partial.indices.count) arg-reduction result(s) cannot take the shape \(shape)")
        }
        return NDArray(uncheckedShape: shape, scalars: partial.indices.scalars)
    }
}
