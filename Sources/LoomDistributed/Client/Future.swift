import LoomCore

/// A result being computed on a cluster. Pass it to other tasks as an argument, or wait for it
/// with `result()`. When the last reference goes away the cluster releases the result.
public final class Future<Value: Codable & Sendable>: TaskArgument, Sendable {
    public typealias Resolved = Value
    public let key: Key
    let client: Client

    init(key: Key, client: Client) {
        self.key = key
        self.client = client
    }

    deinit { client.releaseLater(key) }

    public var taskInput: NodeInput { .existing(key) }

    public enum Status: Sendable, Equatable {
        case pending, finished, error, cancelled, lost
    }

    /// Where the computation stands, without waiting.
    public var status: Status {
        get async {
            switch await client.connection.currentStatus(of: key) {
            case .pending, nil: .pending
            case .memory: .finished
            case .erred: .error
            case .cancelled: .cancelled
            case .lost: .lost
            }
        }
    }

    /// Why the computation failed, without waiting: `nil` while pending or once finished.
    public var error: LoomError? {
        get async {
            switch await client.connection.currentStatus(of: key) {
            case .pending, .memory, nil: nil
            case let status?: error(for: status)
            }
        }
    }

    /// Computes this future again if it erred, with the erred tasks it depends on (Dask's
    /// `Future.retry`): worth it when the failure was passing (a flaky service, a lost
    /// machine). A future that did not err is left as it is.
    public func retry() async throws { try await client.retry([self]) }

    /// Stops computing this future (see `Client.cancel`).
    public func cancel() async throws { try await client.cancel([self]) }

    /// Waits for the result and fetches it from the worker holding it. A failed task throws a
    /// `LoomError` naming the task's key, its function and the original message.
    public func result() async throws -> Value {
        try await client.gather([self])[0]
    }

    func decode(_ bytes: [UInt8]) throws -> Value {
        do {
            return try ValueCodec.decode(Value.self, from: bytes)
        } catch {
            throw LoomError(.typeMismatch, "the result does not decode as \(Value.self): \(error)", key: key, underlying: error)
        }
    }

    func error(for status: ClientConnection.Status) -> LoomError { status.error(for: key) }
}

extension ClientConnection.Status {
    /// Why the key of this status has no value to fetch.
    func error(for key: Key) -> LoomError {
        switch self {
        case .erred(let function, let message, let type?):
            LoomError.remote(key: key, type: type, message: message, function: function.isEmpty ? nil : function)
        case .erred(let function, let message, nil):
            LoomError(.taskFailed, message, key: key, function: function.isEmpty ? nil : function)
        case .cancelled: LoomError(.cancelled, "the future was cancelled", key: key)
        case .lost(let reason): LoomError(.workerDied, "the result is lost: \(reason)", key: key)
        case .pending, .memory: LoomError(.unsupported, "the result is not ready", key: key)
        }
    }
}
