import Foundation
import Testing
@testable import LoomCore

// Hand-written `encode(to:)` and `init(from:)`: keys left out, nested containers written after
// their parent moved on, super encoders, and a misuse the encoder must report.

/// Encodes `extra` only when it is not the default, and decodes it with `decodeIfPresent`.
private struct Sparse: Codable, Equatable {
    var name: String
    var extra: Int

    enum CodingKeys: String, CodingKey { case name, extra }

    init(name: String, extra: Int = 0) {
        self.name = name
        self.extra = extra
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        extra = try container.decodeIfPresent(Int.self, forKey: .extra) ?? 0
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        if extra != 0 { try container.encode(extra, forKey: .extra) }
    }
}

/// Uses nested containers, `superEncoder` and writes to a parent after a child.
private struct Manual: Codable, Equatable {
    var a: Int
    var list: [String]
    var inner: [String: Int]
    var parent: Sparse

    enum Keys: String, CodingKey { case a, list, inner, x, y }

    init(a: Int, list: [String], inner: [String: Int], parent: Sparse) {
        self.a = a
        self.list = list
        self.inner = inner
        self.parent = parent
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var list = container.nestedUnkeyedContainer(forKey: .list)
        var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .inner)
        try container.encode(a, forKey: .a)
        // Written after the parent moved on: the nested containers must still land in place.
        for element in self.list { try list.encode(element) }
        try inner.encode(self.inner["x"], forKey: .x)
        try inner.encode(self.inner["y"], forKey: .y)
        try parent.encode(to: container.superEncoder())
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        a = try container.decode(Int.self, forKey: .a)
        var list = try container.nestedUnkeyedContainer(forKey: .list)
        var elements: [String] = []
        while !list.isAtEnd { elements.append(try list.decode(String.self)) }
        self.list = elements
        let inner = try container.nestedContainer(keyedBy: Keys.self, forKey: .inner)
        self.inner = ["x": try inner.decode(Int.self, forKey: .x), "y": try inner.decode(Int.self, forKey: .y)]
        parent = try Sparse(from: container.superDecoder())
    }
}

private class Animal: Codable {
    var legs: Int
    init(legs: Int) { self.legs = legs }
}

private final class Dog: Animal {
    var name: String
    enum Keys: String, CodingKey { case name }

    init(name: String, legs: Int) {
        self.name = name
        super.init(legs: legs)
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        name = try container.decode(String.self, forKey: .name)
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(name, forKey: .name)
        try super.encode(to: container.superEncoder())
    }
}

@Suite struct CodecCustomCodingTests {
    @Test func customEncodingSkipsAKey() throws {
        try expectRoundTrip(Sparse(name: "default"))
        try expectRoundTrip(Sparse(name: "set", extra: 7))
        #expect(try ValueCodec.encode(Sparse(name: "x")).count < ValueCodec.encode(Sparse(name: "x", extra: 1)).count)
    }

    @Test func nestedContainersAndSuperEncoders() throws {
        try expectRoundTrip(Manual(a: 1, list: ["p", "q"], inner: ["x": 10, "y": 20], parent: Sparse(name: "base", extra: 3)))
        let dog = try roundTrip(Dog(name: "Rex", legs: 4))
        #expect(dog.name == "Rex" && dog.legs == 4)
    }

    @Test func encoderMisuseThrows() throws {
        let error = codecError { _ = try ValueCodec.encode(Confused()) }
        #expect(error?.code == .encodingFailed)
    }
}
