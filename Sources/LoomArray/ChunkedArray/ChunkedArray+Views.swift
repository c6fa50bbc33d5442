import LoomCore

/// One position of `array[…]`: an index (the dimension goes), a range with an optional step,
/// the whole dimension, or a new axis of length 1.
public enum ArrayIndex: Sendable, Equatable {
    case index(Int)
    /// numpy's `start:stop:step`; nil bounds mean the dimension's ends (for the step's direction).
    case slice(start: Int?, stop: Int?, step: Int)
    case all
    case newAxis
}

/// What can stand in a subscript of a `ChunkedArray`: `x[3, 1..<5, stride(from: 0, to: 10, by: 2), .all]`.
public protocol ArrayIndexConvertible: Sendable {
    var arrayIndex: ArrayIndex { get }
}

extension ArrayIndex: ArrayIndexConvertible { public var arrayIndex: ArrayIndex { self } }
extension Int: ArrayIndexConvertible { public var arrayIndex: ArrayIndex { .index(self) } }
extension Range<Int>: ArrayIndexConvertible { public var arrayIndex: ArrayIndex { .slice(start: lowerBound, stop: upperBound, step: 1) } }
// Through -1 is to the end: a stop of 0 would mean the start.
extension ClosedRange<Int>: ArrayIndexConvertible {
    public var arrayIndex: ArrayIndex { .slice(start: lowerBound, stop: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension PartialRangeFrom<Int>: ArrayIndexConvertible { public var arrayIndex: ArrayIndex { .slice(start: lowerBound, stop: nil, step: 1) } }
extension PartialRangeUpTo<Int>: ArrayIndexConvertible { public var arrayIndex: ArrayIndex { .slice(start: nil, stop: upperBound, step: 1) } }
extension PartialRangeThrough<Int>: ArrayIndexConvertible {
    public var arrayIndex: ArrayIndex { .slice(start: nil, stop: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension StrideTo<Int>: ArrayIndexConvertible {
    public var arrayIndex: ArrayIndex {
        // StrideTo keeps its bounds private; its first element and its count give them.
        let elements = Array(self)
        guard let first = elements.first else { return .slice(start: 0, stop: 0, step: 1) }
        let step = elements.count > 1 ? elements[1] - first : 1, last = elements.last!
        // Just past the last element, in numpy's terms: past -1 (upwards) is the end, past 0
        // (downwards) is before the start; below a negative index is one lower.
        if step > 0 { return .slice(start: first, stop: last == -1 ? nil : last + 1, step: step) }
        return .slice(start: first, stop: last == 0 ? nil : last - 1, step: step)
    }
}

extension ChunkedArray {
    /// The axes reversed (`x.T`), or permuted as given (`transposed([1, 0, 2])`).
    public func transposed(_ axes: [Int]? = nil) -> ChunkedArray {
        let permutation = axes ?? Array((0..<rank).reversed())
        guard error == nil else { return self }
        guard permutation.count == rank, Set(permutation) == Set(0..<rank) else {
            return ChunkedArray(failure: LoomError(.invalidArgument, "transposed(\(permutation)) is not a permutation of the \(rank) axes of an array of shape \(shape)"))
        }
        var view = [AxisMap](repeating: AxisMap(axis: nil, step: 0, origin: 0), count: rank)
        for (outputAxis, sourceAxis) in permutation.enumerated() { view[sourceAxis] = AxisMap(axis: outputAxis, step: 1, origin: 0) }
        return ChunkedArray(ViewExpression(
            expression, view: view, axes: permutation.map { .source($0) }, shape: permutation.map { shape[$0] }, name: "transpose"))
    }

    /// The axes reversed: numpy's `.T`.
    public var T: ChunkedArray { transposed() }

    /// A part of the array: `x[100..<400, 50..<60]`, `x[3]`, `x[stride(from: 0, to: 100, by: 2)]`.
    /// Dimensions not named are taken whole; a range beyond the dimension is an error (at
    /// `compute()`), naming the dimension.
    public subscript(_ indices: any ArrayIndexConvertible...) -> ChunkedArray {
        slice(indices.map(\.arrayIndex))
    }

    public func slice(_ indices: [ArrayIndex]) -> ChunkedArray {
        guard error == nil else { return self }
        let named = indices.filter { $0 != .newAxis }.count
        guard named <= rank else {
            return ChunkedArray(failure: LoomError(.invalidArgument, "\(named) indices for an array of shape \(shape), which has \(rank) dimension(s)"))
        }
        let all = indices + [ArrayIndex](repeating: .all, count: rank - named)
        var view: [AxisMap] = []
        var axes: [ViewExpression<Element>.AxisLayout] = []
        var newShape: [Int] = []
        var sourceAxis = 0
        for index in all {
            if index == .newAxis {
                axes.append(.whole(1))
                newShape.append(1)
                continue
            }
            let length = shape[sourceAxis]
            switch index {
            case .index(let position):
                let resolved = position < 0 ? position + length : position
                guard resolved >= 0 && resolved < length else {
                    return ChunkedArray(failure: LoomError(
                        .invalidArgument, "index \(position) is out of range for dimension \(sourceAxis) of size \(length) (shape \(shape))"))
                }
                view.append(AxisMap(axis: nil, step: 0, origin: resolved))
            case .all:
                view.append(AxisMap(axis: newShape.count, step: 1, origin: 0))
                axes.append(.source(sourceAxis))
                newShape.append(length)
            case .slice(let start, let stop, let step):
                guard step != 0 else {
                    return ChunkedArray(failure: LoomError(.invalidArgument, "a slice of dimension \(sourceAxis) has step 0"))
                }
                let (first, count): (Int, Int)
                do { (first, count) = try Self.resolve(start: start, stop: stop, step: step, length: length, dimension: sourceAxis, shape: shape) } catch {
                    return ChunkedArray(failure: error as! LoomError)
                }
                view.append(AxisMap(axis: newShape.count, step: step, origin: first))
                axes.append(count == length && step == 1 ? .source(sourceAxis) : .selection(sourceAxis: sourceAxis, start: first, step: step, count: count))
                newShape.append(count)
            case .newAxis: break
            }
            sourceAxis += 1
        }
        return ChunkedArray(ViewExpression(expression, view: view, axes: axes, shape: newShape, name: "getitem"))
    }

    /// The first position and count of `start:stop:step` in a dimension; bounds beyond it throw.
    static func resolve(start: Int?, stop: Int?, step: Int, length: Int, dimension: Int, shape: [Int]) throws -> (Int, Int) {
        func bound(_ value: Int) throws -> Int {
            let resolved = value < 0 ? value + length : value
            guard resolved >= 0 && resolved <= length else {
                throw LoomError(.invalidArgument, "slice bound \(value) is out of range for dimension \(dimension) of size \(length) (shape \(shape))")
            }
            return resolved
        }
        if step > 0 {
            let first = try start.map(bound) ?? 0, end = try stop.map(bound) ?? length
            return (first, end > first ? (end - first + step - 1) / step : 0)
        }
        // Counting down: start defaults to the last element, stop to before the first.
        let first = try start.map { try bound($0) == length ? length - 1 : bound($0) } ?? length - 1
        // -length - 1 is "before the first" when counting down (a stride to below -length).
        let end = try stop.map { $0 == -length - 1 ? -1 : try bound($0) } ?? -1
        return (first, first > end ? (first - end - step - 1) / -step : 0)
    }

    /// The array repeated along new leading axes and stretched along axes of length 1, to
    /// `shape` (numpy's `broadcast_to`); no copy is made.
    public func broadcast(to target: [Int]) -> ChunkedArray {
        guard error == nil else { return self }
        guard broadcastShape([shape, target]) == target else {
            return ChunkedArray(failure: LoomError(.invalidArgument, "an array of shape \(shape) cannot be broadcast to \(target)"))
        }
        let padding = target.count - rank
        let view = shape.enumerated().map { axis, size in
            size == target[axis + padding] ? AxisMap(axis: axis + padding, step: 1, origin: 0) : AxisMap(axis: nil, step: 0, origin: 0)
        }
        let axes: [ViewExpression<Element>.AxisLayout] = target.indices.map { axis in
            axis >= padding && shape[axis - padding] == target[axis] ? .source(axis - padding) : .whole(target[axis])
        }
        return ChunkedArray(ViewExpression(expression, view: view, axes: axes, shape: target, name: "broadcast"))
    }

    /// A new axis of length 1 at `axis` (numpy's `expand_dims`).
    public func expandingDimensions(at axis: Int) -> ChunkedArray {
        guard axis >= 0 && axis <= rank else {
            return ChunkedArray(failure: LoomError(.invalidArgument, "a new axis \(axis) does not fit an array of shape \(shape)"))
        }
        return slice([ArrayIndex](repeating: .all, count: axis) + [.newAxis])
    }
}
