import LoomCore

/// The inner levels of a reduction tree. The first level runs inside the fused block programs
/// (each block reduced along the axes, kept as length 1), so every partial of a group has the
/// same shape and folding them is elementwise.
enum Reduction {
    @_specialize(where E == Double)
    @_specialize(where E == Float)
    @_specialize(where E == Int64)
    @_specialize(where E == Int32)
    static func combine<E: ArrayElement>(_ kind: ReductionKind, _ partials: [NDArray<E>], shape: [Int]) throws -> NDArray<E> {
        guard var result = partials.first else {
            throw LoomError(.invalidArgument, "a reduction step got no partial results")
        }
        for (number, partial) in partials.enumerated().dropFirst() {
            guard partial.shape == result.shape else {
                throw LoomError(.invalidArgument, "partial result \(number) of a reduction has shape \(partial.shape), the first \(result.shape)")
            }
            result.scalars.withUnsafeMutableBufferPointer { accumulated in
                partial.scalars.withUnsafeBufferPointer { values in
                    switch kind {
                    case .sum: for index in values.indices { accumulated[index] = E.add(accumulated[index], values[index]) }
                    case .product: for index in values.indices { accumulated[index] = E.multiply(accumulated[index], values[index]) }
                    case .min: for index in values.indices { accumulated[index] = E.smaller(accumulated[index], values[index]) }
                    case .max: for index in values.indices { accumulated[index] = E.larger(accumulated[index], values[index]) }
                    }
                }
            }
        }
        guard shape.reduce(1, *) == result.count else {
            throw LoomError(.invalidArgument, "a reduction's result of \(result.count) element(s) cannot take the shape \(shape)")
        }
        return NDArray(uncheckedShape: shape, scalars: result.scalars)
    }
}
