/// Uniform random numbers addressed by position: the value at index `i` of a seeded array is
/// wyrand's `i`-th output, computed on its own.
///
/// wyrand's state is a Weyl sequence (it advances by adding a constant), so its i-th output
/// needs no predecessors: any block, of any chunking, on any worker, generates exactly its own
/// values, and an array computes the same whatever its chunks. One 128-bit multiply per value.
enum RandomStream {
    @inline(__always)
    static func bits(seed: UInt64, index: Int) -> UInt64 {
        let state = seed &+ (UInt64(bitPattern: Int64(index)) &+ 1) &* 0xa076_1d64_78bd_642f
        let product = (state ^ 0xe703_7ed1_a0b4_28db).multipliedFullWidth(by: state)
        return product.high ^ product.low
    }

    /// In [0, 1): 53 random bits for a `Double`, 24 for a `Float` (so it never rounds up to 1).
    @inline(__always)
    static func uniform<E: ArrayElement>(_: E.Type, seed: UInt64, index: Int) -> E {
        let random = bits(seed: seed, index: index)
        // Through Int64: the shifted bits are positive, and a signed conversion is one instruction.
        if E.self == Float.self { return E(fromDouble: Double(Int64(bitPattern: random >> 40)) * 0x1p-24) }
        return E(fromDouble: Double(Int64(bitPattern: random >> 11)) * 0x1p-53)
    }
}
