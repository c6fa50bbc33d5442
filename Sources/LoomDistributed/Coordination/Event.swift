import LoomCore

/// A flag on the scheduler that any client sets, clears and waits for (Dask's `Event`).
public final class Event: Sendable {
    public let name: String
    private let calls: CoordinationCalls

    public init(_ name: String, client: Client) async throws {
        self.name = name
        calls = CoordinationCalls(client: client)
    }

    public func set() async throws { _ = try await calls.call(.eventSet(name: name)) }

    public func clear() async throws { _ = try await calls.call(.eventClear(name: name)) }

    /// Whether it is set now.
    public var isSet: Bool {
        get async throws { try await wait(timeout: .zero) }
    }

    /// Waits until it is set (at most `timeout`); whether it was.
    @discardableResult
    public func wait(timeout: Duration? = nil) async throws -> Bool {
        try await calls.waiting(timeout: timeout) { wait -> Bool? in
            guard case .flag(true) = try await calls.call(.eventWait(name: name, wait: wait)) else { return nil }
            return true
        } ?? false
    }
}
