import Foundation

/// A JSON value: Kubernetes objects as the API server sends them and pod templates as users
/// write them. Loom reads and fills in the few fields it owns and keeps every other field as it
/// was, so a template may use any part of the Pod API, including fields newer than Loom.
public enum KubernetesJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([KubernetesJSON])
    case object([String: KubernetesJSON])

    public subscript(key: String) -> KubernetesJSON? {
        get { if case .object(let fields) = self { fields[key] } else { nil } }
        set {
            var fields = object ?? [:]
            fields[key] = newValue
            self = .object(fields)
        }
    }

    public subscript(index: Int) -> KubernetesJSON? {
        if case .array(let items) = self, items.indices.contains(index) { items[index] } else { nil }
    }

    public var object: [String: KubernetesJSON]? { if case .object(let fields) = self { fields } else { nil } }
    public var array: [KubernetesJSON]? { if case .array(let items) = self { items } else { nil } }
    public var string: String? { if case .string(let text) = self { text } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var int: Int? {
        switch self {
        case .int(let value): value
        case .double(let value) where value == value.rounded(): Int(exactly: value)
        default: nil
        }
    }
    public var double: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The value at a dotted path of object keys (`status.phase`).
    public func at(_ path: String) -> KubernetesJSON? {
        path.split(separator: ".").reduce(self as KubernetesJSON?) { value, key in value?[String(key)] }
    }
}

extension KubernetesJSON: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([KubernetesJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: KubernetesJSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses JSON text.
    public init(parsing data: Data) throws { self = try JSONDecoder().decode(KubernetesJSON.self, from: data) }

    /// The compact JSON text, keys sorted (stable for tests and logs).
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }
}

extension KubernetesJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: KubernetesJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, KubernetesJSON)...) { self = .object(Dictionary(elements) { _, last in last }) }
    public init(nilLiteral: ()) { self = .null }
}
