import Foundation
import LoomCore

/// One connection as the scheduler knows it, from its hello to its end: who is on the other
/// side, what it has said, and whether it still takes part. One value per connection instead of
/// one dictionary per fact, so a connection cannot be half a worker and half gone.
struct SchedulerConnection {
    enum Phase {
        /// A worker taking part in the cluster.
        case worker(WorkerLink)
        /// A worker the scheduler let go (retired, restarted, forgotten, silent too long) whose
        /// connection has not closed yet: what it still says is not acted on.
        case releasedWorker(name: String)
        /// A client, with the id its work is kept under; `closing` once it said goodbye, so its
        /// work goes at once when the connection ends.
        case client(ClientID, closing: Bool)
        /// A client's old connection that its reconnection took over: the client asked again
        /// on the new one, so what still arrives here is not acted on twice.
        case supersededClient
    }

    /// What the scheduler knows of a worker while it takes part: a reference, so reaching a
    /// connection on the hot path copies two pointers, not a hello.
    final class WorkerLink {
        let hello: Hello
        var metrics = WorkerMetrics()
        var lastHeard: ContinuousClock.Instant

        init(hello: Hello, lastHeard: ContinuousClock.Instant) {
            self.hello = hello
            self.lastHeard = lastHeard
        }
    }

    let outbox: Outbox
    private(set) var phase: Phase

    init(outbox: Outbox, phase: Phase) {
        self.outbox = outbox
        self.phase = phase
    }

    var worker: WorkerLink? {
        if case .worker(let link) = phase { link } else { nil }
    }

    var client: ClientID? {
        if case .client(let id, _) = phase { id } else { nil }
    }

    var isClosingClient: Bool {
        if case .client(_, closing: true) = phase { true } else { false }
    }

    /// The worker leaves the cluster (its connection may stay open a while); `nil` if it had
    /// left already, so leaving is idempotent.
    mutating func releaseWorker() -> Hello? {
        guard case .worker(let link) = phase else { return nil }
        phase = .releasedWorker(name: link.hello.name)
        return link.hello
    }

    /// The client said goodbye.
    mutating func closeClient() throws {
        guard case .client(let id, _) = phase else { throw misuse("close a client session") }
        phase = .client(id, closing: true)
    }

    /// The client's reconnection took this connection's place.
    mutating func supersede() throws {
        guard case .client = phase else { throw misuse("be taken over by a reconnecting client") }
        phase = .supersededClient
    }

    private func misuse(_ action: String) -> ConnectionMisuse {
        ConnectionMisuse("a connection in phase \(phase.name) cannot \(action)")
    }
}

extension SchedulerConnection.Phase {
    var name: String {
        switch self {
        case .worker: "worker"
        case .releasedWorker: "released worker"
        case .client: "client"
        case .supersededClient: "superseded client"
        }
    }
}

/// A server-side bug: a connection asked to do what its phase does not allow.
struct ConnectionMisuse: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What the scheduler keeps of a client across its connections.
struct ClientRecord {
    let name: String
    /// The address of the worker whose tasks use it (`TaskContext.client()`); nil for others.
    var worker: String?
    /// The connection it uses now; none while it is away.
    var connection: Int?
    /// When its connection dropped without a goodbye: its work waits `clientTimeout` for it.
    var departed: ContinuousClock.Instant?
}
