import LoomCore

/// Messages between a process-pool executor and its worker processes (docs/protocol.md).
///
/// Each message is one frame whose first byte says its kind. Tasks travel in batches and
/// results come back in batches, so a pipe carries many small tasks per system call; values
/// stay encoded in the parent, which never needs their types except to decode the outputs.
enum PoolProtocol {
    static let version: UInt64 = 1

    enum Kind: UInt8 {
        /// Worker → parent, once at start: protocol version, pid, registry signatures.
        case hello = 1
        /// Worker → parent: the results of one batch, in the order of the batch.
        case results = 2
        /// Parent → worker, once: the function names batches refer to by position.
        case functions = 10
        /// Parent → worker: tasks to run, in order.
        case batch = 11
    }

    struct Hello: Equatable {
        var version: UInt64
        var pid: Int32
        var signatures: [String: String]
    }

    static func encode(_ hello: Hello) -> ByteWriter {
        var frame = Frame.builder()
        frame.writeUInt8(Kind.hello.rawValue)
        frame.writeVarUInt(hello.version)
        frame.writeVarUInt(UInt64(hello.pid))
        frame.writeVarUInt(UInt64(hello.signatures.count))
        for (name, signature) in hello.signatures.sorted(by: { $0.key < $1.key }) {
            frame.writeString(name)
            frame.writeString(signature)
        }
        return frame
    }

    static func decodeHello(_ payload: [UInt8]) throws -> Hello {
        try ByteReader.read(payload) { reader in
            try expect(.hello, &reader)
            let version = try reader.readVarUInt()
            let pid = Int32(truncatingIfNeeded: try reader.readVarUInt())
            var signatures: [String: String] = [:]
            for _ in 0..<(try count(&reader)) {
                signatures[try reader.readString()] = try reader.readString()
            }
            return Hello(version: version, pid: pid, signatures: signatures)
        }
    }

    static func encode(functions names: [String]) -> ByteWriter {
        var frame = Frame.builder()
        frame.writeUInt8(Kind.functions.rawValue)
        frame.writeVarUInt(UInt64(names.count))
        for name in names { frame.writeString(name) }
        return frame
    }

    static func decodeFunctions(_ reader: inout ByteReader) throws -> [String] {
        try (0..<count(&reader)).map { _ in try reader.readString() }
    }

    /// One result in a results frame; `bytes` is the encoded value, or the error message when
    /// the task threw.
    struct Result {
        var task: UInt64
        var succeeded: Bool
        var bytes: [UInt8]
    }

    static func decodeResults(_ payload: [UInt8]) throws -> (results: [Result], seconds: Double) {
        try ByteReader.read(payload) { reader in
            try expect(.results, &reader)
            let nanoseconds = try reader.readFixed64LE()
            let results = try (0..<count(&reader)).map { _ in
                Result(task: try reader.readVarUInt(), succeeded: try reader.readUInt8() == 0,
                       bytes: Array(try reader.readLengthPrefixed()))
            }
            return (results, Double(nanoseconds) / 1e9)
        }
    }

    /// Starts a results frame; `finishResults` fills in the time the batch took.
    static func beginResults(count: Int) -> ByteWriter {
        var frame = Frame.builder(capacity: 16 * count + 16)
        frame.writeUInt8(Kind.results.rawValue)
        frame.writeFixed64LE(0)
        frame.writeVarUInt(UInt64(count))
        return frame
    }

    static func finishResults(_ frame: inout ByteWriter, seconds: Double) {
        let nanoseconds = UInt64(max(0, seconds) * 1e9)
        frame.bytes.withUnsafeMutableBytes { $0.storeBytes(of: nanoseconds.littleEndian, toByteOffset: 5, as: UInt64.self) }
    }

    /// An argument as the parent sends it: an encoded value, or a list assembled from encoded parts.
    enum Argument {
        case bytes([UInt8])
        case list([Argument])

        var encoded: [UInt8] {
            switch self {
            case .bytes(let bytes): bytes
            case .list(let parts): ValueCodec.encodeList(of: parts.map(\.encoded))
            }
        }
    }

    static func appendTask(_ task: Int32, function: Int, arguments: [Argument], to frame: inout ByteWriter) {
        frame.writeVarUInt(UInt64(task))
        frame.writeVarUInt(UInt64(function))
        frame.writeVarUInt(UInt64(arguments.count))
        for argument in arguments {
            switch argument {
            case .bytes(let bytes): frame.writeLengthPrefixed(bytes)
            case .list: frame.writeLengthPrefixed(argument.encoded)
            }
        }
    }

    static func expect(_ kind: Kind, _ reader: inout ByteReader) throws {
        let found = try reader.readUInt8()
        guard found == kind.rawValue else {
            throw CodecError(.invalidTag, "expected a \(kind) message, found kind \(found)", offset: reader.offset - 1)
        }
    }

    /// A count that cannot exceed the bytes left (each item takes at least one byte).
    static func count(_ reader: inout ByteReader) throws -> Int {
        let value = try reader.readVarUInt()
        guard value <= UInt64(reader.remaining) else {
            throw CodecError(.invalidLength, "count \(value) exceeds the \(reader.remaining) bytes left", offset: reader.offset)
        }
        return Int(value)
    }
}
