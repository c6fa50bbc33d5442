import LoomCore

/// Thrift's compact protocol, the encoding of Parquet's footer and page headers: fields as
/// (id delta, type) nibbles, integers as zigzag varints, strings as length-prefixed bytes.
enum ThriftType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
    case binary = 8, list = 9, set = 10, map = 11, structure = 12
}

/// Reads compact-protocol values from bytes; running off the end or an unknown type is an
/// error naming `context` (the file), never a crash.
struct ThriftReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let context: String
    private var lastFieldIDs: [Int16] = []
    private var lastFieldID: Int16 = 0
    /// The value of a bool field, which compact carries in the field's type.
    private var pendingBool: Bool?

    init(_ bytes: [UInt8], at position: Int = 0, context: String) {
        self.bytes = bytes
        self.position = position
        self.context = context
    }

    func corrupt(_ what: String) -> LoomError {
        LoomError(.invalidArgument, "\(context): corrupt Parquet metadata (\(what) at byte \(position))")
    }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw corrupt("unexpected end") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            result |= UInt64(next & 0x7f) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw corrupt("varint too long") }
        }
    }

    mutating func int() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func int32() throws -> Int32 {
        let value = try int()
        guard let narrow = Int32(exactly: value) else { throw corrupt("i32 out of range") }
        return narrow
    }

    mutating func double() throws -> Double {
        guard position + 8 <= bytes.count else { throw corrupt("unexpected end") }
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += 8
        return Double(bitPattern: bits)
    }

    mutating func binary() throws -> [UInt8] {
        let count = Int(try varint())
        guard count >= 0, position + count <= bytes.count else { throw corrupt("binary longer than the data") }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func string() throws -> String { String(decoding: try binary(), as: UTF8.self) }

    mutating func bool() throws -> Bool {
        if let value = pendingBool { pendingBool = nil; return value }
        return try byte() == ThriftType.boolTrue.rawValue
    }

    mutating func beginStruct() {
        lastFieldIDs.append(lastFieldID)
        lastFieldID = 0
    }

    mutating func endStruct() { lastFieldID = lastFieldIDs.popLast() ?? 0 }

    /// The next field's id and type, nil at the struct's end.
    mutating func field() throws -> (id: Int16, type: ThriftType)? {
        let header = try byte()
        guard let type = ThriftType(rawValue: header & 0x0f) else { throw corrupt("unknown field type \(header & 0x0f)") }
        if type == .stop { return nil }
        let delta = Int16(header >> 4)
        if delta == 0 {
            lastFieldID = Int16(truncatingIfNeeded: try int())
        } else {
            lastFieldID &+= delta
        }
        if type == .boolTrue || type == .boolFalse { pendingBool = type == .boolTrue }
        return (lastFieldID, type)
    }

    /// A list's element type and count.
    mutating func listHeader() throws -> (type: ThriftType, count: Int) {
        let header = try byte()
        guard let type = ThriftType(rawValue: header & 0x0f) else { throw corrupt("unknown list element type") }
        var count = Int(header >> 4)
        if count == 15 { count = Int(try varint()) }
        guard count <= bytes.count - position + 1 else { throw corrupt("list longer than the data") }
        return (type, count)
    }

    mutating func list<T>(_ element: (inout ThriftReader) throws -> T) throws -> [T] {
        let (_, count) = try listHeader()
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try element(&self)) }
        return values
    }

    /// Reads a struct field by field: `body` handles the ids it knows and returns false for the
    /// rest, which are skipped.
    mutating func readStruct(_ body: (inout ThriftReader, Int16, ThriftType) throws -> Bool) throws {
        beginStruct()
        while let (id, type) = try field() {
            if try !body(&self, id, type) { try skip(type) }
        }
        endStruct()
    }

    mutating func skip(_ type: ThriftType) throws {
        switch type {
        case .stop: return
        case .boolTrue, .boolFalse: pendingBool = nil
        case .byte: _ = try byte()
        case .i16, .i32, .i64: _ = try varint()
        case .double: _ = try double()
        case .binary: _ = try binary()
        case .list, .set:
            let (element, count) = try listHeader()
            for _ in 0..<count {
                if element == .boolTrue || element == .boolFalse { _ = try byte() } else { try skip(element) }
            }
        case .map:
            let count = Int(try varint())
            guard count > 0 else { return }
            let types = try byte()
            guard let key = ThriftType(rawValue: types >> 4), let value = ThriftType(rawValue: types & 0x0f) else { throw corrupt("unknown map types") }
            for _ in 0..<count { try skip(key); try skip(value) }
        case .structure:
            beginStruct()
            while let (_, type) = try field() { try skip(type) }
            endStruct()
        }
    }
}

/// Writes compact-protocol values.
struct ThriftWriter {
    private(set) var bytes: [UInt8] = []
    private var lastFieldIDs: [Int16] = []
    private var lastFieldID: Int16 = 0

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func int(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func fieldHeader(_ id: Int16, _ type: ThriftType) {
        let delta = id - lastFieldID
        if delta > 0, delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            int(Int64(id))
        }
        lastFieldID = id
    }

    mutating func field(_ id: Int16, i32 value: Int32) { fieldHeader(id, .i32); int(Int64(value)) }
    mutating func field(_ id: Int16, i64 value: Int64) { fieldHeader(id, .i64); int(value) }
    mutating func append(_ raw: [UInt8]) { bytes += raw }

    mutating func field(_ id: Int16, byte value: UInt8) { fieldHeader(id, .byte); bytes.append(value) }
    mutating func field(_ id: Int16, bool value: Bool) { fieldHeader(id, value ? .boolTrue : .boolFalse) }
    mutating func field(_ id: Int16, binary value: [UInt8]) { fieldHeader(id, .binary); varint(UInt64(value.count)); bytes += value }
    mutating func field(_ id: Int16, string value: String) { field(id, binary: Array(value.utf8)) }

    mutating func field(_ id: Int16, structure body: (inout ThriftWriter) -> Void) {
        fieldHeader(id, .structure)
        structure(body)
    }

    /// A struct's fields then its stop byte.
    mutating func structure(_ body: (inout ThriftWriter) -> Void) {
        lastFieldIDs.append(lastFieldID)
        lastFieldID = 0
        body(&self)
        bytes.append(ThriftType.stop.rawValue)
        lastFieldID = lastFieldIDs.popLast() ?? 0
    }

    mutating func field<T>(_ id: Int16, list values: [T], of type: ThriftType, _ element: (inout ThriftWriter, T) -> Void) {
        fieldHeader(id, .list)
        if values.count < 15 {
            bytes.append(UInt8(values.count) << 4 | type.rawValue)
        } else {
            bytes.append(0xf0 | type.rawValue)
            varint(UInt64(values.count))
        }
        for value in values { element(&self, value) }
    }
}
