import LoomCore

/// A function applied to every block (Dask's `map_blocks`): one task per block, blocks of the
/// same shape back. A registered `TaskFunction` runs anywhere; a closure, on the threads and
/// synchronous schedulers only.
final class MapBlocksExpression<In: ArrayElement, Element: ArrayElement>: ArrayExpression {
    let source: any ArrayExpression<In>
    let function: AnyTaskFunction

    init(_ source: any ArrayExpression<In>, function: AnyTaskFunction) {
        self.source = source
        self.function = function
    }

    var shape: [Int] { source.shape }
    var failure: LoomError? { source.failure }
    var name: String { function.name }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        let array = try lowering.blocks(source)
        guard case .blocks(let blocks) = array.content else { preconditionFailure("materialized") }
        return Lowered(layout: array.layout, content: .blocks(blocks.map { lowering.task(name, function, [$0]) }), name: name)
    }
}
