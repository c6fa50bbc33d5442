import LoomCore

/// An n-dimensional array in memory: a shape and its scalars in row-major order.
///
/// What `ChunkedArray.compute()` returns, what blocks are between tasks, and what arrays can be
/// made from. It encodes as its shape and one packed run of raw bytes, so a block crosses a
/// pipe, a socket or a spill file as a single copy.
public struct NDArray<Element: ArrayElement>: Sendable, Equatable {
    public let shape: [Int]
    /// Every element, the last dimension varying fastest.
    public internal(set) var scalars: [Element]

    /// An array of `shape` holding `scalars` in row-major order; their count must be the
    /// product of the shape.
    public init(shape: [Int], scalars: [Element]) throws {
        if let problem = Self.problem(with: shape) { throw LoomError(.invalidArgument, problem) }
        guard scalars.count == shape.reduce(1, *) else {
            throw LoomError(
                .invalidArgument, "an array of shape \(shape) holds \(shape.reduce(1, *)) element(s), but \(scalars.count) were given")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A one-dimensional array.
    public init(_ scalars: [Element]) {
        self.shape = [scalars.count]
        self.scalars = scalars
    }

    /// A 0-dimensional array holding one value (what a full reduction returns).
    public init(scalar: Element) {
        self.shape = []
        self.scalars = [scalar]
    }

    public init(repeating value: Element, shape: [Int]) throws {
        try self.init(shape: shape, scalars: [Element](repeating: value, count: Self.count(of: shape)))
    }

    /// For kernels, whose shapes are right by construction.
    init(uncheckedShape shape: [Int], scalars: [Element]) {
        self.shape = shape
        self.scalars = scalars
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// The single value of a 0-d (or one-element) array: `try await x.sum().compute().scalar`.
    public var scalar: Element {
        precondition(scalars.count == 1, "scalar is the value of a one-element array; this one has shape \(shape)")
        return scalars[0]
    }

    /// Elements to step over per index of each dimension.
    public var strides: [Int] { Self.strides(of: shape) }

    /// The element at one index per dimension: `a[2, 3]`.
    public subscript(index: Int...) -> Element {
        get { scalars[offset(of: index)] }
        set { scalars[offset(of: index)] = newValue }
    }

    public subscript(index: [Int]) -> Element {
        get { scalars[offset(of: index)] }
        set { scalars[offset(of: index)] = newValue }
    }

    private func offset(of index: [Int]) -> Int {
        precondition(index.count == shape.count, "an array of shape \(shape) takes \(shape.count) index(es), not \(index.count)")
        var offset = 0
        for (dimension, position) in index.enumerated() {
            precondition(position >= 0 && position < shape[dimension], "index \(position) is out of range for dimension \(dimension) of size \(shape[dimension])")
            offset = offset * shape[dimension] + position
        }
        return offset
    }

    static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of any shape (elements per step along each dimension).
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for dimension in shape.indices.reversed() {
            strides[dimension] = step
            step *= shape[dimension]
        }
        return strides
    }

    /// What is wrong with a shape, if anything.
    static func problem(with shape: [Int]) -> String? {
        if let negative = shape.firstIndex(where: { $0 < 0 }) {
            return "dimension \(negative) of shape \(shape) is negative"
        }
        return nil
    }
}

extension NDArray: Codable {
    // Shape, then the scalars as one packed run (Bool as bytes): the codec copies it whole.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let shape = try container.decode([Int].self)
        let scalars: [Element]
        if Element.self == Bool.self {
            let bytes = try container.decode([UInt8].self)
            scalars = bytes.map { $0 != 0 } as! [Element]
        } else {
            scalars = try container.decode([Element].self)
        }
        try self.init(shape: shape, scalars: scalars)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(shape)
        if Element.self == Bool.self {
            try container.encode((scalars as! [Bool]).map { $0 ? UInt8(1) : 0 })
        } else {
            try container.encode(scalars)
        }
    }
}

extension NDArray: CustomStringConvertible {
    /// numpy-like nested brackets, abbreviated past a few elements per dimension.
    public var description: String {
        guard !shape.isEmpty else { return "\(scalars[0])" }
        var text = ""
        func write(dimension: Int, offset: Int) {
            let size = shape[dimension], stride = strides[dimension]
            text += "["
            let shown = size <= 6 ? Array(0..<size) : [0, 1, 2, -1, size - 3, size - 2, size - 1]
            for (position, index) in shown.enumerated() {
                if position > 0 { text += dimension == shape.count - 1 ? ", " : ",\n" + String(repeating: " ", count: dimension + 1) }
                if index < 0 { text += "…"; continue }
                if dimension == shape.count - 1 { text += "\(scalars[offset + index])" } else { write(dimension: dimension + 1, offset: offset + index * stride) }
            }
            text += "]"
        }
        write(dimension: 0, offset: 0)
        return text
    }
}
