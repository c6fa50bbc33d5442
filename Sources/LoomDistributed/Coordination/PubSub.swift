import Foundation
import LoomCore
import Synchronization

/// Publishes values on a topic to every subscriber of it at the time (Dask's `Pub`), from any
/// client or task; nothing is kept for subscribers that come later.
public final class Pub<Value: Codable & Sendable>: Sendable {
    public let topic: String
    private let calls: CoordinationCalls

    public init(_ topic: String, client: Client) async throws {
        self.topic = topic
        calls = CoordinationCalls(client: client)
    }

    /// Sends `value` to the topic's subscribers; how many there were.
    @discardableResult
    public func put(_ value: Value) async throws -> Int {
        let reply = try await calls.call(.publish(topic: topic, value: try ValueCodec.encode(value)))
        guard case .count(let count) = reply else { throw calls.unexpected(reply) }
        return count
    }
}

/// What is published on a topic from the time it subscribes (Dask's `Sub`), in order: an
/// `AsyncSequence` (`for try await value in sub`), or one at a time with `get(timeout:)`.
///
/// It refreshes its subscription while it lives; one whose program died is dropped after
/// `timeout`, and so is one nobody keeps.
public final class Sub<Value: Codable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = Value
    public let topic: String
    private let subscriber = UUID().uuidString
    private let calls: CoordinationCalls
    /// Received, not yet handed out.
    private let buffer = Mutex<[Value]>([])
    private let refresher: Task<Void, Never>

    public init(_ topic: String, client: Client, timeout: Duration = .seconds(30)) async throws {
        self.topic = topic
        let calls = CoordinationCalls(client: client)
        self.calls = calls
        _ = try await calls.call(.subscribe(topic: topic, subscriber: subscriber, timeout: timeout / .seconds(1)))
        let subscriber = subscriber
        refresher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: timeout / 4)
                _ = try? await calls.call(.subscriberRefresh(topic: topic, subscriber: subscriber))
            }
        }
    }

    deinit { refresher.cancel() }

    /// The next value, waiting for one (at most `timeout`, else a `.timeout` error).
    public func get(timeout: Duration? = nil) async throws -> Value {
        if let value = takeBuffered() { return value }
        let received = try await calls.waiting(timeout: timeout) { wait -> [[UInt8]]? in
            let reply = try await calls.call(.receive(topic: topic, subscriber: subscriber, wait: wait))
            guard case .values(let values) = reply else { throw calls.unexpected(reply) }
            return values.isEmpty ? nil : values
        }
        guard let received else { throw LoomError(.timeout, "topic '\(topic)' had nothing within \(timeout ?? .zero)") }
        let values = try received.map { try ValueCodec.decode(Value.self, from: $0) }
        buffer.withLock { $0.append(contentsOf: values) }
        return takeBuffered()!
    }

    /// Stops hearing the topic.
    public func close() async throws {
        refresher.cancel()
        _ = try await calls.call(.unsubscribe(topic: topic, subscriber: subscriber))
    }

    private func takeBuffered() -> Value? {
        buffer.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let sub: Sub
        public mutating func next() async throws -> Value? { try await sub.get() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sub: self) }
}
