import Foundation
import Testing
@testable import LoomCore

// What the Codec*Tests suites share: sample types of every shape Codable produces, and helpers.

// MARK: - Sample types

struct Item: Codable, Equatable, Hashable {
    var name: String
    var price: Double
    var tags: [String]
    var count: Int?
}

struct Order: Codable, Equatable {
    var id: UInt64
    var items: [Item]
    var customer: Customer
    var notes: [String: String]
}

struct Customer: Codable, Equatable {
    var name: String
    var address: Address?
}

struct Address: Codable, Equatable {
    var street: String
    var zip: Int32
}

enum Level: Int, Codable { case low = 1, high = 1000 }

enum Shape: Codable, Equatable {
    case point
    case circle(radius: Double)
    case rectangle(Double, Double)
    case labeled(String, shape: Item)
}

indirect enum Tree: Codable, Equatable {
    case leaf(Int)
    case node([Tree])
}

/// Asks for two kinds of container: a misuse the encoder must report, not write garbage for.
struct Confused: Encodable {
    enum Keys: CodingKey { case a }
    func encode(to encoder: any Encoder) throws {
        var keyed = encoder.container(keyedBy: Keys.self)
        try keyed.encode(1, forKey: .a)
        var unkeyed = encoder.unkeyedContainer()
        try unkeyed.encode(2)
    }
}

// MARK: - Helpers

func roundTrip<T: Codable>(_ value: T) throws -> T {
    try ValueCodec.decode(T.self, from: ValueCodec.encode(value))
}

func expectRoundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let decoded = try roundTrip(value)
    #expect(decoded == value, sourceLocation: sourceLocation)
}

/// The `CodecError` that `body` threw; nil if it threw nothing, or something else.
func codecError(_ body: () throws -> Void) -> CodecError? {
    do {
        try body()
        return nil
    } catch let error as CodecError {
        return error
    } catch {
        return nil
    }
}
