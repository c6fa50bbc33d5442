import LoomCore
import NIOCore
import Synchronization

/// Persistent connections to workers, for fetching values: one connection per worker, many
/// requests in flight on it, answers matched to requests by id.
///
/// `run()` hosts the connections and must be running (in the owner's task group) while the
/// pool is used. A connection that fails fails its waiting requests; the next request opens a
/// new one.
final class PeerPool: Sendable {
    private let name: String
    private let security: TransportSecurity?
    private let links = Mutex<[String: Link]>([:])
    private let openings: AsyncStream<Link>
    private let open: AsyncStream<Link>.Continuation

    init(name: String, security: TransportSecurity? = nil) {
        self.name = name
        self.security = security
        (openings, open) = AsyncStream.makeStream()
    }

    /// The values of `keys` held by the worker at `address`, and the keys it does not hold.
    func fetch(_ keys: [Key], from address: String) async throws -> (values: [Key: [UInt8]], missing: [Key]) {
        guard case .data(_, let values, let missing) = try await request({ .getData(request: $0, keys: keys) }, to: address) else {
            throw TransportError("\(address) answered a data request with something else")
        }
        return (values, missing)
    }

    /// Sends the request `make` builds with a fresh id to the worker at `address` and waits for
    /// its reply (`data`, `dataStored` or `runResult` with the same id).
    func request(_ make: @Sendable (UInt64) -> Message, to address: String) async throws -> Message {
        let link = links.withLock { links in
            if let link = links[address] { return link }
            let link = Link(address: address)
            links[address] = link
            open.yield(link)
            return link
        }
        return try await link.request(make)
    }

    /// Calls the registered function `function` on the worker at `address` beside its tasks
    /// (`runFunction`) and returns its encoded result; one that throws there throws here,
    /// naming the worker and the message.
    func call(_ function: String, arguments: [[UInt8]], on address: String) async throws -> [UInt8] {
        let reply = try await request({ .runFunction(request: $0, function: function, arguments: arguments) }, to: address)
        guard case .runResult(_, let value, let error) = reply else {
            throw TransportError("worker \(address) answered a function call with something else")
        }
        if let error { throw LoomError(.taskFailed, "on worker \(address): \(error)", function: function) }
        return value
    }

    /// Hosts the connections until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await link in openings {
                group.addTask { [name, security] in
                    await link.serve(as: name, security: security)
                    self.links.withLock { links in if links[link.address] === link { links[link.address] = nil } }
                }
            }
        }
    }

    func close() { open.finish() }

    /// One worker connection: a queue of requests going out, a table of requests waiting.
    final class Link: Sendable {
        let address: String
        private let outgoing: AsyncStream<Message>
        private let send: AsyncStream<Message>.Continuation
        private let waiting = Mutex<(next: UInt64, byID: [UInt64: CheckedContinuation<Message, any Error>], failure: (any Error)?)>((1, [:], nil))

        init(address: String) {
            self.address = address
            (outgoing, send) = AsyncStream.makeStream()
        }

        func request(_ make: (UInt64) -> Message) async throws -> Message {
            try await withCheckedThrowingContinuation { continuation in
                let id: UInt64? = waiting.withLock { state in
                    if let failure = state.failure {
                        continuation.resume(throwing: failure)
                        return nil
                    }
                    let id = state.next
                    state.next += 1
                    state.byID[id] = continuation
                    return id
                }
                if let id { send.yield(make(id)) }
            }
        }

        func serve(as name: String, security: TransportSecurity?) async {
            do {
                let channel = try await Transport.connect(to: try Address(parsing: address), security: security)
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.send([.hello(Hello(role: .peer, name: name))])
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await request in self.outgoing { try await outbound.send([request]) }
                        }
                        for try await batch in MessageBatches(frames: inbound) {
                            for reply in batch {
                                guard let id = reply.replyRequest else { continue }
                                waiting.withLock { $0.byID.removeValue(forKey: id) }?.resume(returning: reply)
                            }
                        }
                        group.cancelAll()
                        throw TransportError("\(address) closed the connection")
                    }
                }
            } catch {
                fail(error)
            }
            fail(TransportError("the connection to \(address) ended"))
        }

        private func fail(_ error: any Error) {
            send.finish()
            let orphans = waiting.withLock { state in
                state.failure = state.failure ?? error
                defer { state.byID = [:] }
                return Array(state.byID.values)
            }
            for orphan in orphans { orphan.resume(throwing: error) }
        }
    }
}
