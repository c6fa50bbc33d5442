import LoomCore
import Synchronization

/// Futures inside the values of variables and queues (Dask's `Variable.set(future)`,
/// `Queue.put(future)`): a future encodes as its key, which the scheduler keeps while the value
/// holds it, and decodes, for the client that reads the value, as a future of that client.
enum FutureTransfer {
    /// The keys of the futures encoded so far in the value being encoded.
    final class Keys: Sendable {
        private let found = Mutex<[Key]>([])
        func add(_ key: Key) { found.withLock { $0.append(key) } }
        var all: [Key] { found.withLock { $0 } }
    }

    @TaskLocal static var encoding: Keys?
    /// The client the futures being decoded belong to, and the keys of those decoded so far.
    @TaskLocal static var decoding: (client: Client, keys: Keys)?

    /// `value` encoded, with the keys of the futures in it.
    static func encode<Value: Encodable>(_ value: Value) throws -> (bytes: [UInt8], keys: [Key]) {
        let keys = Keys()
        let bytes = try $encoding.withValue(keys) { try ValueCodec.encode(value) }
        return (bytes, keys.all)
    }

    /// `bytes` decoded, the futures in them `client`'s, with their keys.
    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8], for client: Client) throws -> (value: Value, keys: [Key]) {
        let keys = Keys()
        let value = try $decoding.withValue((client, keys)) { try ValueCodec.decode(Value.self, from: bytes) }
        return (value, keys.all)
    }
}

extension Future: Codable {
    /// Only into a variable's or a queue's value, which the scheduler keeps the key for.
    public func encode(to encoder: any Encoder) throws {
        guard let keys = FutureTransfer.encoding else {
            throw EncodingError.invalidValue(key, EncodingError.Context(
                codingPath: encoder.codingPath,
                debugDescription: "a Future encodes only into a Variable's or a LoomQueue's value (pass it to a task as an argument instead)"))
        }
        keys.add(key)
        var container = encoder.singleValueContainer()
        try container.encode(CodableKey(key))
    }

    /// Only out of a variable's or a queue's value, as a future of the client reading it.
    public convenience init(from decoder: any Decoder) throws {
        guard let (client, keys) = FutureTransfer.decoding else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: decoder.codingPath, debugDescription: "a Future decodes only out of a Variable's or a LoomQueue's value"))
        }
        let key = try decoder.singleValueContainer().decode(CodableKey.self).key
        keys.add(key)
        self.init(key: key, client: client)
    }
}
