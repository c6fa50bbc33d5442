import Foundation
import LoomCore

/// The scheduler's coordination primitives (Dask's `Variable`, `Queue`, `Event`, `Semaphore`,
/// `Lock`), a plugin every scheduler has: clients reach them by name through plugin requests.
final class CoordinationPlugin: InlineSchedulerPlugin {
    static let pluginName = "coordination"
    /// The longest one request waits, in seconds: a longer wait is several requests.
    static let longestWait = 2.0
    var name: String { Self.pluginName }
    var observesTransitions: Bool { false }
    let state = CoordinationState()

    func run(_ scheduler: SchedulerServer) async {
        // A dead holder's leases go once their timeout passes, whether or not anyone asks.
        while !Task.isCancelled {
            state.expireLeases()
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    func status() async -> (any Encodable & Sendable)? { state.summary() }

    func handle(request payload: [UInt8], from client: ClientID?, reply: @escaping @Sendable (Result<[UInt8], any Error>) -> Void) -> KeptKeys {
        do {
            // Loom's binary value codec: a queue's items pass through here one request each.
            let request = try ValueCodec.decode(CoordinationRequest.self, from: payload)
            return try state.answer(request, from: client) { answer in reply(Result { try ValueCodec.encode(answer) }) }
        } catch {
            reply(.failure(error))
            return KeptKeys()
        }
    }

    func clientDisconnected(_ client: ClientID) -> KeptKeys { state.clientDisconnected(client) }

    func clientGone(_ client: ClientID) { state.clientGone(client) }
}

/// A client's side of the coordination plugin.
struct CoordinationCalls: Sendable {
    let client: Client

    func call(_ request: CoordinationRequest) async throws -> CoordinationReply {
        let answer = try await client.pluginRequest(CoordinationPlugin.pluginName, payload: try ValueCodec.encode(request))
        return try ValueCodec.decode(CoordinationReply.self, from: answer)
    }

    /// Asks `attempt` (given the seconds it may wait on the scheduler) until it answers or
    /// `timeout` passes (none: for ever); the awaiting task's cancellation ends it between two
    /// requests with `CancellationError`.
    func waiting<T>(timeout: Duration?, _ attempt: (Double) async throws -> T?) async throws -> T? {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            try Task.checkCancellation()
            let remaining = deadline.map { max(0, ($0 - .now) / .seconds(1)) } ?? CoordinationPlugin.longestWait
            if let found = try await attempt(min(remaining, CoordinationPlugin.longestWait)) { return found }
            if let deadline, ContinuousClock.now >= deadline { return nil }
        }
    }

    /// Values a get answered with, decoded; the futures in them become this client's, which
    /// wants them, then says so, so the scheduler keeps them throughout.
    func takeUp<Value: Decodable>(_ values: [[UInt8]], as type: Value.Type) async throws -> [Value] {
        var decoded: [Value] = []
        var keys: [Key] = []
        for bytes in values {
            let (value, found) = try FutureTransfer.decode(Value.self, from: bytes, for: client)
            decoded.append(value)
            keys += found
        }
        if !keys.isEmpty {
            try await client.connection.submit([], wanted: keys, functions: [:])
            _ = try await call(.adopted(keys: keys.map(CodableKey.init)))
        }
        return decoded
    }

    func unexpected(_ reply: CoordinationReply) -> LoomError {
        LoomError(.plugin, "the scheduler's coordination plugin answered \(reply)")
    }
}
