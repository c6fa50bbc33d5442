import LoomCore

/// An array whose blocks are held by a cluster (`persist(on:)`): each block is a kept output's
/// key, so expressions built on it start from the stored blocks. The retainer lives as long as
/// this expression; when the last array using it goes, the cluster releases the blocks.
final class PersistedExpression<Element: ArrayElement>: ArrayExpression {
    let layout: ChunkLayout
    let blocks: [NodeInput]
    /// Held only to keep the blocks on the cluster.
    let retainer: any Sendable

    init(layout: ChunkLayout, blocks: [NodeInput], retainer: any Sendable) {
        self.layout = layout
        self.blocks = blocks
        self.retainer = retainer
    }

    var shape: [Int] { layout.shape }
    var name: String { "persisted" }

    func lower(_ lowering: Lowering) throws -> Lowered<Element> {
        Lowered(layout: layout, content: .blocks(blocks), name: name)
    }
}
