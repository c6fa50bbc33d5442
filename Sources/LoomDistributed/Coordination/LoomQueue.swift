import LoomCore

/// A first-in first-out queue on the scheduler that any client puts to and gets from (Dask's
/// `Queue`); `maxSize` bounds it (0: no bound), and a `put` then waits for room.
public final class LoomQueue<Value: Codable & Sendable>: Sendable {
    public let name: String
    private let calls: CoordinationCalls

    /// Makes the queue, or opens it when it exists (its size stays then).
    public init(_ name: String, client: Client, maxSize: Int = 0) async throws {
        self.name = name
        calls = CoordinationCalls(client: client)
        _ = try await calls.call(.queueCreate(name: name, maxSize: maxSize))
    }

    /// Adds `value` at the end, waiting for room in a full queue (at most `timeout`, else a
    /// `.timeout` error).
    public func put(_ value: Value, timeout: Duration? = nil) async throws {
        let (bytes, keys) = try FutureTransfer.encode(value)
        let kept = keys.map(CodableKey.init)
        let put = try await calls.waiting(timeout: timeout) { wait -> Bool? in
            guard case .flag(true) = try await calls.call(.queuePut(name: name, value: bytes, wait: wait, keys: kept)) else { return nil }
            return true
        }
        withExtendedLifetime(value) {}  // its futures' releases must not overtake the put
        guard put != nil else { throw LoomError(.timeout, "queue '\(name)' had no room within \(timeout ?? .zero)") }
    }

    /// Takes the first value, waiting for one (at most `timeout`, else a `.timeout` error).
    public func get(timeout: Duration? = nil) async throws -> Value {
        let found = try await calls.waiting(timeout: timeout) { wait -> [UInt8]? in
            guard case .value(let bytes) = try await calls.call(.queueGet(name: name, wait: wait)) else { return nil }
            return bytes
        }
        guard let found else { throw LoomError(.timeout, "queue '\(name)' had nothing within \(timeout ?? .zero)") }
        return try await calls.takeUp([found], as: Value.self)[0]
    }

    /// Takes `count` values at once, oldest first, waiting until the queue holds that many (at
    /// most `timeout`, else a `.timeout` error, having taken none). Dask's `get(batch=n)`.
    public func get(batch count: Int, timeout: Duration? = nil) async throws -> [Value] {
        guard count >= 1 else { throw LoomError(.invalidArgument, "queue '\(name)': a batch of \(count); take at least 1, or getAll()") }
        let found = try await calls.waiting(timeout: timeout) { wait -> [[UInt8]]? in
            guard case .values(let values) = try await calls.call(.queueGetBatch(name: name, count: count, wait: wait)), !values.isEmpty else { return nil }
            return values
        }
        guard let found else { throw LoomError(.timeout, "queue '\(name)' did not hold \(count) values within \(timeout ?? .zero)") }
        return try await calls.takeUp(found, as: Value.self)
    }

    /// Takes every value the queue holds now, without waiting (Dask's `get(batch=True)`).
    public func getAll() async throws -> [Value] {
        let reply = try await calls.call(.queueGetBatch(name: name, count: 0, wait: 0))
        guard case .values(let values) = reply else { throw calls.unexpected(reply) }
        return try await calls.takeUp(values, as: Value.self)
    }

    /// How many values wait in it.
    public var count: Int {
        get async throws {
            let reply = try await calls.call(.queueCount(name: name))
            guard case .count(let count) = reply else { throw calls.unexpected(reply) }
            return count
        }
    }

    /// Removes the queue and what it holds.
    public func delete() async throws { _ = try await calls.call(.queueDelete(name: name)) }
}
