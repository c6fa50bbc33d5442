/// The bytes of one container (or one deferred value) under construction.
///
/// The format puts a container's count before its entries, but `Encoder` never says when a
/// container is finished, and Swift lets a type write to a nested container after writing to its
/// parent again. So each container collects its entries in its own box, and a parent records
/// where a child's bytes go (a splice) instead of copying them; `serialize` assembles the tree
/// once, copying every byte once. Scalars are appended to their container's box directly.
final class EncodingBox {
    enum Kind {
        /// One value written later, e.g. through `superEncoder()`; empty means an empty container.
        case value
        case array
        case map
    }

    let kind: Kind
    var writer: ByteWriter
    /// Elements of an array, entries of a map.
    var count = 0
    /// Children to insert at byte offsets of `writer`, in order. The first is stored inline:
    /// most boxes (a struct's, the root) have at most one, and an array costs an allocation.
    private var firstSplice: (offset: Int, box: EncodingBox)?
    private var moreSplices: [(offset: Int, box: EncodingBox)] = []
    /// Set on boxes handed out to an encoder that was misused; writes to them throw this.
    var misuse: CodecError?

    init(_ kind: Kind) {
        self.kind = kind
        // Containers nearly always get entries; one right-sized allocation beats regrowing.
        writer = kind == .value ? ByteWriter() : ByteWriter(capacity: 32)
    }

    /// A child whose bytes go at the current end of this box.
    func splice(_ kind: Kind) -> EncodingBox {
        let child = EncodingBox(kind)
        child.misuse = misuse
        if firstSplice == nil {
            firstSplice = (writer.count, child)
        } else {
            moreSplices.append((writer.count, child))
        }
        return child
    }

    /// The number of bytes `serialize` writes.
    var serializedSize: Int {
        var size = writer.count
        switch kind {
        case .array, .map: size += 1 + ByteWriter.varUIntSize(UInt64(count))
        case .value: if writer.bytes.isEmpty && firstSplice == nil { return 2 }
        }
        if let firstSplice { size += firstSplice.box.serializedSize }
        for (_, child) in moreSplices { size += child.serializedSize }
        return size
    }

    func serialize(into output: inout ByteWriter) {
        switch kind {
        case .array:
            output.writeUInt8(ValueTag.array)
            output.writeVarUInt(UInt64(count))
        case .map:
            output.writeUInt8(ValueTag.map)
            output.writeVarUInt(UInt64(count))
        case .value:
            if writer.bytes.isEmpty && firstSplice == nil {
                output.writeUInt8(ValueTag.map)
                output.writeVarUInt(0)
                return
            }
        }
        guard let firstSplice else {
            output.writeBytes(writer.bytes)
            return
        }
        output.writeBytes(writer.bytes[..<firstSplice.offset])
        firstSplice.box.serialize(into: &output)
        var position = firstSplice.offset
        for (offset, child) in moreSplices {
            output.writeBytes(writer.bytes[position..<offset])
            child.serialize(into: &output)
            position = offset
        }
        output.writeBytes(writer.bytes[position...])
    }

    /// Throws if this box belongs to a misused encoder, so no write is silently lost.
    @inline(__always)
    func checkUsable() throws(CodecError) {
        if let misuse { throw misuse }
    }
}
