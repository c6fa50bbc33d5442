/// What one fused task computes for one block: read its leaves, run a chain of elementwise
/// operations, and write the block, or reduce it along some axes as it goes.
///
/// A whole elementwise expression (`(x + x.T) * 2 - 1`) becomes one program per block, so it is
/// one task per block, never one per operation (Dask's blockwise fusion). Programs are plain
/// values: the same one runs in this process, in a process worker, or on a cluster's worker.
public struct BlockProgram: Codable, Sendable, Equatable {
    /// The shape of the block the instructions produce (before any reduction).
    var shape: [Int]
    var leaves: [Leaf]
    /// Postfix: each instruction pops its operands and pushes its result.
    var code: [Instruction]
    var constants: [Constant]
    /// Reduce the result along these axes (kept as length 1), instead of writing it out.
    var reduction: BlockReduction?
    /// The shape of the task's result when it differs from the block's (axes dropped after a
    /// reduction); the element count is the same.
    var resultShape: [Int]?
}

/// Where a leaf's values come from, and how a block's index maps onto them.
struct Leaf: Codable, Sendable, Equatable {
    enum Source: Codable, Sendable, Equatable {
        /// The task's input at this position (a block of another array).
        case input(Int)
        /// Uniform in [0, 1), from the element's index in the whole array: the same values
        /// however the array is chunked.
        case random(seed: UInt64)
        /// `start + step × index`, as numpy's `arange`.
        case range(start: Constant, step: Constant)
    }

    var source: Source
    /// Position of the block's first element in the source (an input's flat index, or a
    /// generator's index in its whole array).
    var offset: Int
    /// How far the source position moves per step along each dimension of the block; 0 for a
    /// broadcast dimension.
    var strides: [Int]
    /// The shape the input block must have: the offsets and strides assume it, so a block of
    /// another shape (a block function's mistake) is refused rather than misread.
    var inputShape: [Int]? = nil
}

/// A number kept exactly for integer and float elements alike.
struct Constant: Codable, Sendable, Equatable {
    var double: Double
    var integer: Int64

    init<E: ArrayElement>(_ value: E) {
        double = value.asDouble
        integer = value.asInt64
    }

    init(double: Double, integer: Int64) {
        self.double = double
        self.integer = integer
    }

    func value<E: ArrayElement>(as _: E.Type) -> E {
        E.isFloatingPoint ? E(fromDouble: double) : E(fromInt64: integer)
    }
}

enum Instruction: Codable, Sendable, Equatable {
    case leaf(Int)
    case constant(Int)
    case unary(UnaryOperation)
    case binary(BinaryOperation)
}

enum UnaryOperation: String, Codable, Sendable {
    case negate, absolute, exp, log, sqrt
    /// Logical not; `truth` turns a value into 1 or 0 (what `astype(Bool.self)` keeps).
    case not, truth
}

enum BinaryOperation: String, Codable, Sendable {
    case add, subtract, multiply, divide, power, minimum, maximum
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
    case and, or
}

/// The reduction a fused task applies to its block.
struct BlockReduction: Codable, Sendable, Equatable {
    var kind: ReductionKind
    var axes: [Int]
}

public enum ReductionKind: String, Codable, Sendable {
    case sum, product, min, max

    func identity<E: ArrayElement>(_: E.Type) -> E {
        switch self {
        case .sum: .zero
        case .product: .one
        case .min: E.largest
        case .max: E.smallest
        }
    }

    @inline(__always)
    func combine<E: ArrayElement>(_ a: E, _ b: E) -> E {
        switch self {
        case .sum: E.add(a, b)
        case .product: E.multiply(a, b)
        case .min: E.smaller(a, b)
        case .max: E.larger(a, b)
        }
    }
}
