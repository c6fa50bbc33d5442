/// The first byte of every encoded value, saying what kind of value follows.
///
/// Tags make the format self-describing: a decoder can skip a value it does not need, find the
/// keys of a keyed container in any order, and say what it found when a type does not match.
/// The numbers are part of the wire format (see the format comment in ValueCodec.swift).
enum ValueTag {
    static let null: UInt8 = 0x00
    static let `false`: UInt8 = 0x01
    static let `true`: UInt8 = 0x02
    static let signed: UInt8 = 0x03
    static let unsigned: UInt8 = 0x04
    static let float32: UInt8 = 0x05
    static let float64: UInt8 = 0x06
    static let string: UInt8 = 0x07
    static let bytes: UInt8 = 0x08
    static let array: UInt8 = 0x09
    static let map: UInt8 = 0x0A
    static let packed: UInt8 = 0x0B

    /// The tag's name in error messages ("found string at byte 41").
    static func describe(_ tag: UInt8) -> String {
        switch tag {
        case null: "nil"
        case `false`, `true`: "Bool"
        case signed: "signed integer"
        case unsigned: "unsigned integer"
        case float32: "Float"
        case float64: "Double"
        case string: "string"
        case bytes: "bytes"
        case array: "array"
        case map: "keyed container"
        case packed: "packed numeric array"
        default: "invalid tag 0x\(String(tag, radix: 16))"
        }
    }
}

/// The element type of a packed numeric array: its wire number and its width in bytes.
///
/// The `bytes` form (tag 0x08) is read as a packed array of `.uint8`, so a generic `[Int]`
/// decoder can read a `[UInt8]` encoding too.
struct PackedKind: Equatable {
    let rawValue: UInt8
    let width: Int

    static let uint8 = PackedKind(rawValue: 0x01, width: 1)
    static let int32 = PackedKind(rawValue: 0x02, width: 4)
    static let int64 = PackedKind(rawValue: 0x03, width: 8)
    static let uint32 = PackedKind(rawValue: 0x04, width: 4)
    static let uint64 = PackedKind(rawValue: 0x05, width: 8)
    static let float32 = PackedKind(rawValue: 0x06, width: 4)
    static let float64 = PackedKind(rawValue: 0x07, width: 8)

    init?(rawValue: UInt8) {
        switch rawValue {
        case 0x01: self = .uint8
        case 0x02: self = .int32
        case 0x03: self = .int64
        case 0x04: self = .uint32
        case 0x05: self = .uint64
        case 0x06: self = .float32
        case 0x07: self = .float64
        default: return nil
        }
    }

    private init(rawValue: UInt8, width: Int) {
        self.rawValue = rawValue
        self.width = width
    }

    var isFloatingPoint: Bool { self == .float32 || self == .float64 }
}
