import Foundation

/// A JSON document as the API server keeps it: objects are stored as the client sent them, so
/// fields the stand-in does not know survive a round trip, as they do in a real API server. (A
/// type of its own, like LoomKubernetes' `KubernetesJSON`: the stand-in shares no code with the
/// client it tests.)
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var array: [JSON]? { if case .array(let value) = self { value } else { nil } }
    public var object: [String: JSON]? { if case .object(let value) = self { value } else { nil } }
    public var isNull: Bool { self == .null }
    /// Integers, also written as `30.0` or `"30"` (Kubernetes accepts int-or-string fields).
    public var int: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value): value.rounded() == value ? Int64(exactly: value) : nil
        case .string(let value): Int64(value)
        default: nil
        }
    }

    /// Members of an object; `.null` for anything else or a missing key, so paths read simply:
    /// `pod["metadata"]["name"].string`. Setting on a non-object turns it into one.
    public subscript(key: String) -> JSON {
        get { object?[key] ?? .null }
        set {
            var members = object ?? [:]
            if newValue.isNull { members.removeValue(forKey: key) } else { members[key] = newValue }
            self = .object(members)
        }
    }

    /// A string map (labels, annotations, nodeSelector); non-string values are left out.
    public var stringMap: [String: String] { (object ?? [:]).compactMapValues(\.string) }

    public init(_ map: [String: String]) { self = .object(map.mapValues { .string($0) }) }

    /// Parses `data`; nil when it is not JSON.
    public static func parse(_ data: Data) -> JSON? { try? JSONDecoder().decode(JSON.self, from: data) }
    public static func parse(_ text: String) -> JSON? { parse(Data(text.utf8)) }

    /// Compact JSON text, keys sorted (stable output for tests and diffs).
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    public var data: Data { Data(text.utf8) }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value): out += value.isFinite ? "\(value)" : "null"
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                Self.writeString(key, to: &out)
                out += ":"
                members[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ value: String, to out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSON: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements.filter { !$0.1.isNull }, uniquingKeysWith: { $1 }))
    }
    public init(nilLiteral: ()) { self = .null }
}
