import Foundation
import Testing
@testable import LoomCore

// Input from other processes may be anything: random and mutated bytes must decode or throw a
// CodecError, never crash. Seeded, so a failure reproduces.

/// Decodes `bytes` as `T`; anything but success or a `CodecError` is a failure.
private func decodeOrCodecError<T: Decodable>(_: T.Type, _ bytes: [UInt8]) {
    do {
        _ = try ValueCodec.decode(T.self, from: bytes)
    } catch is CodecError {
    } catch {
        Issue.record("decoding \(bytes) as \(T.self) threw a non-CodecError: \(error)")
    }
}

@Suite struct CodecFuzzTests {
    /// Random bytes, biased towards valid tags and small numbers so they get past the first byte.
    @Test func randomBytesNeverCrash() {
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<20_000 {
            let length = random.next(below: 65)
            let bytes = (0..<length).map { _ in
                random.next(below: 2) == 0 ? UInt8(random.next(below: 13)) : UInt8(truncatingIfNeeded: random.next())
            }
            decodeOrCodecError(Int.self, bytes)
            decodeOrCodecError(String.self, bytes)
            decodeOrCodecError([Int].self, bytes)
            decodeOrCodecError([Double].self, bytes)
            decodeOrCodecError(Data.self, bytes)
            decodeOrCodecError([String: Int].self, bytes)
            decodeOrCodecError([Int: [String]].self, bytes)
            decodeOrCodecError(Item.self, bytes)
            decodeOrCodecError(Shape.self, bytes)
            decodeOrCodecError(Tree.self, bytes)
            decodeOrCodecError(Set<Int16>.self, bytes)
            decodeOrCodecError(Optional<Order>.self, bytes)
        }
    }

    /// Valid encodings with bits flipped, bytes inserted, deleted or replaced.
    @Test func mutatedEncodingsNeverCrash() throws {
        let order = Order(
            id: 9, items: [Item(name: "a", price: 1, tags: ["x", "y"], count: 2)],
            customer: Customer(name: "c", address: Address(street: "s", zip: 1)), notes: ["k": "v"])
        let samples: [[UInt8]] = [
            try ValueCodec.encode(order),
            try ValueCodec.encode([Shape.circle(radius: 1), .labeled("l", shape: order.items[0])]),
            try ValueCodec.encode(Tree.node([.leaf(1), .node([.leaf(2)])])),
            try ValueCodec.encode([1.5, 2.5, 3.5]),
            try ValueCodec.encode([1: ["a"], 2: []]),
            try ValueCodec.encode(Set<Int16>([1, 2, 3])),
        ]
        var random = SplitMix64(seed: 42)
        for round in 0..<6_000 {
            var bytes = samples[round % samples.count]
            for _ in 0...random.next(below: 3) {
                let position = random.next(below: bytes.count + 1)
                switch random.next(below: 4) {
                case 0 where position < bytes.count: bytes[position] ^= UInt8(1) << UInt8(random.next(below: 8))
                case 1: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                case 2 where position < bytes.count: bytes.remove(at: position)
                case 3 where position < bytes.count: bytes[position] = UInt8(random.next(below: 13))
                default: break
                }
            }
            decodeOrCodecError(Order.self, bytes)
            decodeOrCodecError([Shape].self, bytes)
            decodeOrCodecError(Tree.self, bytes)
            decodeOrCodecError([Double].self, bytes)
            decodeOrCodecError([Int: [String]].self, bytes)
            decodeOrCodecError(Set<Int16>.self, bytes)
        }
    }
}
