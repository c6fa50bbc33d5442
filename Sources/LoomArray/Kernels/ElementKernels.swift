import LoomCore

/// Loom's array task functions for one element type, under stable names
/// (`array.blockwise.float64.bool`): registered by `Loom.bootstrap` in every executable, so a
/// user's workers run arrays without registering anything.
public final class ElementKernels<E: ArrayElement>: Sendable {
    /// Fused elementwise programs (and their first reduction step), by result element type.
    let blockwise: [String: AnyTaskFunction]
    /// The levels of a reduction tree: partial results folded elementwise.
    let combine: TaskFunction<ReductionKind, [Int], [NDArray<E>], NDArray<E>>
    /// Blocks put together from pieces of others (rechunk, reshape).
    let assemble: TaskFunction<AssemblyPlan, [NDArray<E>], NDArray<E>>
    /// Block tensordot through BLAS; numeric elements only.
    let tensordot: AnyTaskFunction?
    /// `argmin`/`argmax`: each block's best, partials folded in array order, the indices.
    let argBlock: TaskFunction<ArgPlan, NDArray<E>, ArgPartial<E>>
    let argCombine: TaskFunction<Bool, [ArgPartial<E>], ArgPartial<E>>
    let argIndices: TaskFunction<[Int], ArgPartial<E>, NDArray<Int64>>

    init() {
        var blockwise: [String: AnyTaskFunction] = [:]
        for output in ArrayKernels.elementTypes {
            blockwise[output.dtype] = Self.makeBlockwise(to: output)
        }
        self.blockwise = blockwise
        combine = TaskFunction("array.combine.\(E.dtype)") { kind, shape, partials in try Reduction.combine(kind, partials, shape: shape) }
        assemble = TaskFunction("array.assemble.\(E.dtype)") { plan, inputs in try BlockAssembly.run(plan, inputs: inputs) }
        tensordot = (E.self as? any NumericElement.Type).map { Self.tensordot($0) }
        argBlock = TaskFunction("array.arg-block.\(E.dtype)") { plan, block in try ArgReduction.block(plan, block) }
        argCombine = TaskFunction("array.arg-combine.\(E.dtype)") { smallest, partials in try ArgReduction.combine(smallest: smallest, partials) }
        argIndices = TaskFunction("array.arg-indices.\(E.dtype)") { shape, partial in try ArgReduction.indices(partial, shape: shape) }
    }

    var functions: [AnyTaskFunction] {
        blockwise.values.sorted { $0.name < $1.name } + [combine.erased, assemble.erased, argBlock.erased, argCombine.erased, argIndices.erased] + (tensordot.map { [$0] } ?? [])
    }

    func blockwise<Out: ArrayElement>(to _: Out.Type) -> AnyTaskFunction { blockwise[Out.dtype]! }

    private static func makeBlockwise<Out: ArrayElement>(to _: Out.Type) -> AnyTaskFunction {
        TaskFunction("array.blockwise.\(E.dtype).\(Out.dtype)") { (program: BlockProgram, inputs: [NDArray<E>]) in
            try ProgramEvaluator.run(program, inputs: inputs, as: Out.self)
        }.erased
    }

    private static func tensordot<N: NumericElement>(_: N.Type) -> AnyTaskFunction {
        TaskFunction("array.tensordot.\(N.dtype)") { (plan: TensordotPlan, left: [NDArray<N>], right: [NDArray<N>]) in
            try Tensordot.run(plan, left: left, right: right)
        }.erased
    }
}

/// Every array kernel of every element type.
public enum ArrayKernels {
    static let elementTypes: [any ArrayElement.Type] = [Double.self, Float.self, Int64.self, Int32.self, Bool.self]

    /// What `Loom.bootstrap` registers.
    public static var all: [AnyTaskFunction] {
        Double.kernels.functions + Float.kernels.functions + Int64.kernels.functions + Int32.kernels.functions + Bool.kernels.functions
    }
}
