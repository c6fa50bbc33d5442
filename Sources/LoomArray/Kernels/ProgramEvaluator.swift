import LoomCore

/// Runs a `BlockProgram` over tiles of its block.
///
/// The block is walked in tiles of a few thousand elements (up to `tileRows` rows of the last
/// two dimensions, `tileColumns` wide), and each instruction runs over a whole tile in a tight
/// loop the compiler vectorizes. Tiles stay in cache, so a chain of operations reads its inputs
/// once and writes its output once, however long it is; a transposed leaf is read a few rows at
/// a time, so each cache line it loads is used whole.
enum ProgramEvaluator {
    static let tileElements = 4096
    static let tileColumns = 512

    // Kernels are reached through type-erased task functions, which the optimizer cannot
    // specialize by itself: without these, every element would be copied and added through
    // the protocol's witness table, several times slower.
    @_specialize(where In == Double, Out == Double)
    @_specialize(where In == Float, Out == Float)
    @_specialize(where In == Int64, Out == Int64)
    @_specialize(where In == Int32, Out == Int32)
    @_specialize(where In == Bool, Out == Bool)
    @_specialize(where In == Double, Out == Bool)
    @_specialize(where In == Float, Out == Bool)
    @_specialize(where In == Int64, Out == Bool)
    @_specialize(where In == Int32, Out == Bool)
    @_specialize(where In == Int64, Out == Double)
    @_specialize(where In == Int32, Out == Double)
    @_specialize(where In == Bool, Out == Double)
    @_specialize(where In == Double, Out == Int64)
    @_specialize(where In == Double, Out == Float)
    @_specialize(where In == Float, Out == Double)
    static func run<In: ArrayElement, Out: ArrayElement>(
        _ program: BlockProgram, inputs: [NDArray<In>], as _: Out.Type
    ) throws -> NDArray<Out> {
        try check(program, inputs: inputs)
        // Rank 2 at least: a leading dimension of 1 (stride 0) changes nothing.
        var shape = program.shape
        var leaves = program.leaves
        while shape.count < 2 {
            shape.insert(1, at: 0)
            for index in leaves.indices { leaves[index].strides.insert(0, at: 0) }
        }
        let rank = shape.count
        let rows = shape[rank - 2], columns = shape[rank - 1]
        let outer = Array(shape[..<(rank - 2)])
        let count = shape.reduce(1, *)
        let registerCount = try Self.registerCount(program)
        let constants = program.constants.map { $0.value(as: In.self) }

        // Where results go: the block itself, or the reduction's accumulator (kept axes only).
        var resultShape = shape
        var resultStrides = NDArray<Out>.strides(of: shape)
        var reduction: ReductionKind?
        if let step = program.reduction {
            reduction = step.kind
            let padding = shape.count - program.shape.count
            let reduced = Set(step.axes.map { $0 + padding })
            for axis in reduced { resultShape[axis] = 1 }
            let compact = NDArray<Out>.strides(of: resultShape)
            resultStrides = shape.indices.map { reduced.contains($0) ? 0 : compact[$0] }
        }
        // An empty block reduces to the identity (a sum of nothing is 0), or is empty.
        var result = [Out](repeating: reduction?.identity(Out.self) ?? .zero, count: resultShape.reduce(1, *))
        if count == 0 { return NDArray(uncheckedShape: program.resultShape ?? reducedShape(program), scalars: result) }

        let tileColumns = Swift.min(columns, Self.tileColumns)
        let tileRows = Swift.max(1, Swift.min(rows, Self.tileElements / tileColumns))
        let capacity = tileRows * tileColumns
        let registers = UnsafeMutablePointer<In>.allocate(capacity: capacity * Swift.max(registerCount, 1))
        let converted = UnsafeMutablePointer<Out>.allocate(capacity: capacity)
        defer {
            registers.deallocate()
            converted.deallocate()
        }
        let inputPointers = inputs.map { $0.scalars.withUnsafeBufferPointer { $0.baseAddress } }
        // The inputs' arrays outlive the loop (held by `inputs`), so their addresses stay valid.
        try withExtendedLifetime(inputs) {
            try result.withUnsafeMutableBufferPointer { output in
                let outerStrides = outer.isEmpty ? [] : NDArray<In>.strides(of: outer)
                for outerFlat in 0..<Swift.max(1, outer.reduce(1, *)) {
                    // The outer index, and where it puts each leaf and the result.
                    var leafBase = leaves.map(\.offset)
                    var resultBase = 0
                    var rest = outerFlat
                    for dimension in outer.indices {
                        let position = rest / outerStrides[dimension]
                        rest %= outerStrides[dimension]
                        for leaf in leaves.indices { leafBase[leaf] += position * leaves[leaf].strides[dimension] }
                        resultBase += position * resultStrides[dimension]
                    }
                    var row = 0
                    while row < rows {
                        let height = Swift.min(tileRows, rows - row)
                        var column = 0
                        while column < columns {
                            let width = Swift.min(tileColumns, columns - column)
                            let tile = Tile(height: height, width: width)
                            let top = try execute(
                                program.code, leaves: leaves, leafBase: leafBase, row: row, column: column, rank: rank,
                                tile: tile, constants: constants, inputs: inputPointers, registers: registers, capacity: capacity)
                            let values = top.convert(into: converted, count: tile.count, registers: registers, capacity: capacity, as: Out.self)
                            let base = resultBase + row * resultStrides[rank - 2] + column * resultStrides[rank - 1]
                            store(values, tile: tile, into: output.baseAddress!, base: base,
                                  rowStride: resultStrides[rank - 2], columnStride: resultStrides[rank - 1], reduction: reduction)
                            column += width
                        }
                        row += height
                    }
                }
            }
        }
        return NDArray(uncheckedShape: program.resultShape ?? reducedShape(program), scalars: result)
    }

    /// The block's shape after its reduction, axes kept as 1.
    static func reducedShape(_ program: BlockProgram) -> [Int] {
        guard let reduction = program.reduction else { return program.shape }
        var shape = program.shape
        for axis in reduction.axes { shape[axis] = 1 }
        return shape
    }

    struct Tile {
        let height: Int
        let width: Int
        var count: Int { height * width }
    }

    /// A stack entry: a tile of values in a register, or one value for the whole tile.
    enum Register<In: ArrayElement> {
        case tile(Int)
        case scalar(In)

        func convert<Out: ArrayElement>(
            into converted: UnsafeMutablePointer<Out>, count: Int, registers: UnsafeMutablePointer<In>, capacity: Int, as _: Out.Type
        ) -> UnsafePointer<Out> {
            switch self {
            case .scalar(let value):
                converted.update(repeating: ProgramEvaluator.convert(value, to: Out.self), count: count)
            case .tile(let index):
                let source = registers + index * capacity
                if Out.self == In.self {
                    return UnsafeRawPointer(source).assumingMemoryBound(to: Out.self)
                }
                for position in 0..<count { converted[position] = ProgramEvaluator.convert(source[position], to: Out.self) }
            }
            return UnsafePointer(converted)
        }
    }

    @inline(__always)
    static func convert<In: ArrayElement, Out: ArrayElement>(_ value: In, to _: Out.Type) -> Out {
        if Out.self == In.self { return unsafeBitCast(value, to: Out.self) }
        if Out.self == Bool.self { return unsafeBitCast(value.isTrue, to: Out.self) }
        return Out.isFloatingPoint ? Out(fromDouble: value.asDouble) : Out(fromInt64: value.asInt64)
    }

    private static func execute<In: ArrayElement>(
        _ code: [Instruction], leaves: [Leaf], leafBase: [Int], row: Int, column: Int, rank: Int, tile: Tile,
        constants: [In], inputs: [UnsafePointer<In>?], registers: UnsafeMutablePointer<In>, capacity: Int
    ) throws -> Register<In> {
        var stack: [Register<In>] = []
        stack.reserveCapacity(8)
        var nextRegister = 0
        for instruction in code {
            switch instruction {
            case .constant(let index):
                stack.append(.scalar(constants[index]))
            case .leaf(let index):
                let leaf = leaves[index]
                let destination = registers + nextRegister * capacity
                let rowStride = leaf.strides[rank - 2], columnStride = leaf.strides[rank - 1]
                let start = leafBase[index] + row * rowStride + column * columnStride
                gather(leaf.source, start: start, rowStride: rowStride, columnStride: columnStride, tile: tile,
                       inputs: inputs, into: destination)
                stack.append(.tile(nextRegister))
                nextRegister += 1
            case .unary(let operation):
                let operand = stack.removeLast()
                switch operand {
                case .scalar(let value): stack.append(.scalar(apply(operation, value)))
                case .tile(let index):
                    let values = registers + index * capacity
                    unary(operation, values, count: tile.count)
                    stack.append(operand)
                }
            case .binary(let operation):
                let right = stack.removeLast(), left = stack.removeLast()
                stack.append(binary(operation, left, right, count: tile.count, registers: registers, capacity: capacity))
                // The right operand's tile is free once consumed, if it is the newest.
                if case .tile(let index) = right, case .tile = left, index == nextRegister - 1 { nextRegister -= 1 }
            }
        }
        guard stack.count == 1, let top = stack.last else {
            throw LoomError(.invalidArgument, "a block program leaves \(stack.count) value(s) instead of one")
        }
        return top
    }

    /// `left op right` over a tile: the operation is chosen once, then each case is a loop the
    /// optimizer specializes and vectorizes (a switch per element would stop both).
    private static func binary<E: ArrayElement>(
        _ operation: BinaryOperation, _ left: Register<E>, _ right: Register<E>, count: Int,
        registers: UnsafeMutablePointer<E>, capacity: Int
    ) -> Register<E> {
        switch operation {
        case .add: combine(left, right, count, registers, capacity) { E.add($0, $1) }
        case .subtract: combine(left, right, count, registers, capacity) { E.subtract($0, $1) }
        case .multiply: combine(left, right, count, registers, capacity) { E.multiply($0, $1) }
        case .divide: combine(left, right, count, registers, capacity) { E.divide($0, $1) }
        case .minimum: combine(left, right, count, registers, capacity) { E.smaller($0, $1) }
        case .maximum: combine(left, right, count, registers, capacity) { E.larger($0, $1) }
        case .less: combine(left, right, count, registers, capacity) { E.less($0, $1) ? .one : .zero }
        case .greater: combine(left, right, count, registers, capacity) { E.less($1, $0) ? .one : .zero }
        default: combine(left, right, count, registers, capacity) { apply(operation, $0, $1) }
        }
    }

    @inline(__always)
    private static func combine<E: ArrayElement>(
        _ left: Register<E>, _ right: Register<E>, _ count: Int, _ registers: UnsafeMutablePointer<E>, _ capacity: Int,
        _ body: (E, E) -> E
    ) -> Register<E> {
        switch (left, right) {
        case let (.scalar(a), .scalar(b)):
            return .scalar(body(a, b))
        case let (.tile(a), .scalar(b)):
            let values = registers + a * capacity
            for position in 0..<count { values[position] = body(values[position], b) }
            return left
        case let (.scalar(a), .tile(b)):
            let values = registers + b * capacity
            for position in 0..<count { values[position] = body(a, values[position]) }
            return right
        case let (.tile(a), .tile(b)):
            let values = registers + a * capacity, others = registers + b * capacity
            for position in 0..<count { values[position] = body(values[position], others[position]) }
            return left
        }
    }

    @inline(__always)
    static func apply<E: ArrayElement>(_ operation: BinaryOperation, _ a: E, _ b: E) -> E {
        switch operation {
        case .add: E.add(a, b)
        case .subtract: E.subtract(a, b)
        case .multiply: E.multiply(a, b)
        case .divide: E.divide(a, b)
        case .power: E.power(a, b)
        case .minimum: E.smaller(a, b)
        case .maximum: E.larger(a, b)
        case .equal: a == b ? .one : .zero
        case .notEqual: a != b ? .one : .zero
        case .less: E.less(a, b) ? .one : .zero
        case .lessOrEqual: E.less(b, a) ? .zero : (a == b || E.less(a, b) ? .one : .zero)
        case .greater: E.less(b, a) ? .one : .zero
        case .greaterOrEqual: E.less(a, b) ? .zero : (a == b || E.less(b, a) ? .one : .zero)
        case .and: a.isTrue && b.isTrue ? .one : .zero
        case .or: a.isTrue || b.isTrue ? .one : .zero
        }
    }

    @inline(__always)
    static func apply<E: ArrayElement>(_ operation: UnaryOperation, _ a: E) -> E {
        switch operation {
        case .negate: E.negate(a)
        case .absolute: E.absolute(a)
        case .exp: E.exponential(a)
        case .log: E.logarithm(a)
        case .sqrt: E.squareRoot(a)
        case .not: a.isTrue ? .zero : .one
        case .truth: a.isTrue ? .one : .zero
        }
    }

    private static func unary<E: ArrayElement>(_ operation: UnaryOperation, _ values: UnsafeMutablePointer<E>, count: Int) {
        switch operation {
        case .negate: for position in 0..<count { values[position] = E.negate(values[position]) }
        case .absolute: for position in 0..<count { values[position] = E.absolute(values[position]) }
        case .sqrt: for position in 0..<count { values[position] = E.squareRoot(values[position]) }
        default: for position in 0..<count { values[position] = apply(operation, values[position]) }
        }
    }

    /// Fills a register with a leaf's values for one tile.
    @inline(__always)
    private static func gather<In: ArrayElement>(
        _ source: Leaf.Source, start: Int, rowStride: Int, columnStride: Int, tile: Tile,
        inputs: [UnsafePointer<In>?], into destination: UnsafeMutablePointer<In>
    ) {
        switch source {
        case .input(let input):
            let base = inputs[input]!
            for row in 0..<tile.height {
                let from = base + (start + row * rowStride), to = destination + row * tile.width
                if columnStride == 1 {
                    to.update(from: from, count: tile.width)
                } else if columnStride == 0 {
                    to.update(repeating: from.pointee, count: tile.width)
                } else {
                    for column in 0..<tile.width { to[column] = from[column * columnStride] }
                }
            }
        case .random(let seed):
            for row in 0..<tile.height {
                let first = start + row * rowStride, to = destination + row * tile.width
                for column in 0..<tile.width {
                    to[column] = RandomStream.uniform(In.self, seed: seed, index: first + column * columnStride)
                }
            }
        case .range(let start0, let step0):
            let first0 = start0.value(as: In.self), step = step0.value(as: In.self)
            for row in 0..<tile.height {
                let first = start + row * rowStride, to = destination + row * tile.width
                for column in 0..<tile.width {
                    let index = first + column * columnStride
                    to[column] = In.add(first0, In.multiply(step, In(fromInt64: Int64(index))))
                }
            }
        }
    }

    /// Writes a tile into the result, or folds it into the reduction's accumulator.
    @inline(__always)
    private static func store<Out: ArrayElement>(
        _ values: UnsafePointer<Out>, tile: Tile, into output: UnsafeMutablePointer<Out>, base: Int,
        rowStride: Int, columnStride: Int, reduction: ReductionKind?
    ) {
        guard let reduction else {
            for row in 0..<tile.height {
                (output + base + row * rowStride).update(from: values + row * tile.width, count: tile.width)
            }
            return
        }
        switch reduction {
        case .sum: fold(values, tile: tile, output, base, rowStride, columnStride) { Out.add($0, $1) }
        case .product: fold(values, tile: tile, output, base, rowStride, columnStride) { Out.multiply($0, $1) }
        case .min: fold(values, tile: tile, output, base, rowStride, columnStride) { Out.smaller($0, $1) }
        case .max: fold(values, tile: tile, output, base, rowStride, columnStride) { Out.larger($0, $1) }
        }
    }

    @inline(__always)
    private static func fold<Out: ArrayElement>(
        _ values: UnsafePointer<Out>, tile: Tile, _ output: UnsafeMutablePointer<Out>, _ base: Int,
        _ rowStride: Int, _ columnStride: Int, _ combine: (Out, Out) -> Out
    ) {
        for row in 0..<tile.height {
            let from = values + row * tile.width, to = output + base + row * rowStride
            if columnStride == 0 {
                // The row folds to one value: four independent partial results keep the
                // pipeline full (floating-point addition cannot be reordered otherwise).
                let width = tile.width
                guard width >= 4 else {
                    var total = to.pointee
                    for column in 0..<width { total = combine(total, from[column]) }
                    to.pointee = total
                    continue
                }
                var a = combine(to.pointee, from[0]), b = from[1], c = from[2], d = from[3]
                var column = 4
                while column + 4 <= width {
                    a = combine(a, from[column]); b = combine(b, from[column + 1])
                    c = combine(c, from[column + 2]); d = combine(d, from[column + 3])
                    column += 4
                }
                var total = combine(combine(a, b), combine(c, d))
                while column < width { total = combine(total, from[column]); column += 1 }
                to.pointee = total
            } else if columnStride == 1 {
                for column in 0..<tile.width { to[column] = combine(to[column], from[column]) }
            } else {
                for column in 0..<tile.width { to[column * columnStride] = combine(to[column * columnStride], from[column]) }
            }
        }
    }

    /// Tile registers the program may need, one per leaf it loads (a bound: `execute` reuses a
    /// register only when the newest is consumed), or what is malformed.
    private static func registerCount(_ program: BlockProgram) throws -> Int {
        var depth = 0, leaves = 0
        for instruction in program.code {
            switch instruction {
            case .leaf(let index):
                guard index >= 0 && index < program.leaves.count else {
                    throw LoomError(.invalidArgument, "a block program reads leaf \(index) of \(program.leaves.count)")
                }
                depth += 1
                leaves += 1
            case .constant(let index):
                guard index >= 0 && index < program.constants.count else {
                    throw LoomError(.invalidArgument, "a block program reads constant \(index) of \(program.constants.count)")
                }
                depth += 1
            case .unary:
                guard depth >= 1 else { throw LoomError(.invalidArgument, "a block program's operation has no operand") }
            case .binary:
                guard depth >= 2 else { throw LoomError(.invalidArgument, "a block program's operation lacks an operand") }
                depth -= 1
            }
        }
        return leaves
    }

    /// Refuses a program that would read outside its inputs, naming the leaf.
    private static func check<In: ArrayElement>(_ program: BlockProgram, inputs: [NDArray<In>]) throws {
        guard program.shape.allSatisfy({ $0 >= 0 }) else {
            throw LoomError(.invalidArgument, "a block program's shape \(program.shape) is negative")
        }
        if let reduction = program.reduction, let bad = reduction.axes.first(where: { $0 < 0 || $0 >= program.shape.count }) {
            throw LoomError(.invalidArgument, "a block program reduces axis \(bad) of a \(program.shape.count)-dimensional block")
        }
        let empty = program.shape.contains(0)
        for (index, leaf) in program.leaves.enumerated() {
            guard leaf.strides.count == program.shape.count else {
                throw LoomError(.invalidArgument, "leaf \(index) has \(leaf.strides.count) stride(s) for a \(program.shape.count)-dimensional block")
            }
            guard case .input(let input) = leaf.source, !empty else { continue }
            guard input >= 0 && input < inputs.count else {
                throw LoomError(.invalidArgument, "leaf \(index) reads input \(input) of \(inputs.count)")
            }
            if let expected = leaf.inputShape, expected != inputs[input].shape {
                throw LoomError(
                    .invalidArgument,
                    "an input block has shape \(inputs[input].shape) where the array's blocks call for \(expected): a block function or mapBlocks returned a block of another shape")
            }
            var lowest = leaf.offset, highest = leaf.offset
            for (dimension, stride) in leaf.strides.enumerated() {
                let reach = (program.shape[dimension] - 1) * stride
                if reach < 0 { lowest += reach } else { highest += reach }
            }
            guard lowest >= 0 && highest < inputs[input].count else {
                throw LoomError(
                    .invalidArgument,
                    "leaf \(index) reads elements \(lowest)...\(highest) of an input block of shape \(inputs[input].shape)")
            }
        }
        if let resultShape = program.resultShape, resultShape.reduce(1, *) != reducedShape(program).reduce(1, *) {
            throw LoomError(.invalidArgument, "a block program's result shape \(resultShape) does not hold its \(reducedShape(program)) values")
        }
    }
}
