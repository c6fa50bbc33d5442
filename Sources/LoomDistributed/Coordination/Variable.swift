import LoomCore

/// A value on the scheduler under a name, for any client (Dask's `Variable`): it outlives the
/// client that set it until `delete()`.
///
/// ```swift
/// let counter = try await Variable<Int>("counter", client: client)
/// try await counter.set(3)
/// let three = try await counter.get(timeout: .seconds(5))
/// ```
public final class Variable<Value: Codable & Sendable>: Sendable {
    public let name: String
    private let calls: CoordinationCalls

    public init(_ name: String, client: Client) async throws {
        self.name = name
        calls = CoordinationCalls(client: client)
    }

    /// Sets the value; futures in it are kept on the cluster while it is set (Dask's
    /// `Variable.set(future)`), and come back as the reader's own futures.
    public func set(_ value: Value) async throws {
        let (bytes, keys) = try FutureTransfer.encode(value)
        _ = try await calls.call(.variableSet(name: name, value: bytes, keys: keys.map(CodableKey.init)))
        withExtendedLifetime(value) {}  // its futures' releases must not overtake the set
    }

    /// The value; while none is set, waits for one (at most `timeout`, else a `.timeout` error).
    public func get(timeout: Duration? = nil) async throws -> Value {
        let found = try await calls.waiting(timeout: timeout) { wait -> [UInt8]? in
            guard case .value(let bytes) = try await calls.call(.variableGet(name: name, wait: wait)) else { return nil }
            return bytes
        }
        guard let found else { throw LoomError(.timeout, "variable '\(name)' had no value within \(timeout ?? .zero)") }
        return try await calls.takeUp([found], as: Value.self)[0]
    }

    public func delete() async throws {
        _ = try await calls.call(.variableDelete(name: name))
    }
}
