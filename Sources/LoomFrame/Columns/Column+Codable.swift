import LoomCore

/// A column travels as its type, its validity words (if any) and its buffers, each one packed
/// run the codec copies whole: a partition crosses to a worker without a per-value cost.
extension Column: Codable {
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let type = try container.decode(DataType.self)
        let count = try container.decode(Int.self)
        var words = try container.decode([UInt64].self)
        guard count >= 0, words.isEmpty || words.count == (count + 63) / 64 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a validity bitmap of \(words.count) words for \(count) rows"))
        }
        // Bits past the last row would count as valid rows that do not exist.
        if count % 64 != 0, !words.isEmpty { words[words.count - 1] &= (1 << UInt64(count % 64)) - 1 }
        let validity = words.isEmpty ? nil : Validity(words: words, count: count)
        let storage: Storage
        switch type {
        case .int32: storage = .int32(try container.decode([Int32].self))
        case .int64: storage = .int64(try container.decode([Int64].self))
        case .float: storage = .float(try container.decode([Float].self))
        case .double: storage = .double(try container.decode([Double].self))
        case .bool: storage = .bool(try container.decode([UInt8].self).map { $0 != 0 })
        case .timestamp: storage = .timestamp(try container.decode([Int64].self))
        case .date: storage = .date(try container.decode([Int32].self))
        case .string: storage = .string(try Self.decodeStrings(&container))
        case .categorical:
            let codes = try container.decode([Int32].self)
            let categories = try Self.decodeStrings(&container)
            guard codes.allSatisfy({ (0..<Int32(max(categories.count, 1))).contains($0) }) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a category code is outside the dictionary's \(categories.count) entries"))
            }
            storage = .categorical(codes: codes, categories: categories)
        }
        let column = Column(storage: storage, validity: validity)
        guard column.count == count else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(type.withArticle) column of \(count) rows came with \(column.count) values"))
        }
        self = column
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(type)
        try container.encode(count)
        try container.encode(validity?.words ?? [])
        switch storage {
        case .int32(let values), .date(let values): try container.encode(values)
        case .int64(let values), .timestamp(let values): try container.encode(values)
        case .float(let values): try container.encode(values)
        case .double(let values): try container.encode(values)
        case .bool(let values): try container.encode(values.map { $0 ? UInt8(1) : 0 })
        case .string(let strings): try Self.encode(strings, &container)
        case .categorical(let codes, let categories):
            try container.encode(codes)
            try Self.encode(categories, &container)
        }
    }

    private static func encode(_ strings: StringStorage, _ container: inout any UnkeyedEncodingContainer) throws {
        try container.encode(strings.offsets)
        try container.encode(strings.bytes)
    }

    private static func decodeStrings(_ container: inout any UnkeyedDecodingContainer) throws -> StringStorage {
        let offsets = try container.decode([Int32].self)
        let bytes = try container.decode([UInt8].self)
        // Offsets must start at 0, never fall, and end at the byte count: a bad one would read
        // out of bounds later.
        guard offsets.first == 0, offsets.last.map({ Int($0) == bytes.count }) ?? false,
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "string offsets do not describe the \(bytes.count) bytes that came with them"))
        }
        return StringStorage(offsets: offsets, bytes: bytes)
    }
}
