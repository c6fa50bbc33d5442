import LoomCore
import Synchronization
import Logging
import NIOCore

/// What the client knows of each key it asked for, and the tasks waiting to hear about it.
actor ClientConnection {
    enum Status: Sendable {
        case pending
        case memory(holders: [String])
        /// `type` names the remote error's type; `nil` when no task ran (a rejected graph).
        case erred(function: String, message: String, type: String?)
        case cancelled
        case lost(String)
    }

    /// Where the scheduler connection stands: one value, so the client cannot be both
    /// connected and closed.
    enum Phase {
        /// Before the first welcome.
        case connecting
        case connected(NIOAsyncChannelOutboundWriter<[UInt8]>, channel: any Channel)
        /// The connection dropped, for this reason; the client tries to connect again.
        case reconnecting(String)
        /// Ended for good, for this reason (closed, or reconnecting gave up).
        case closed(String)
    }

    private var phase = Phase.connecting
    /// Releases made while disconnected, sent once reconnected.
    private var unsentReleases: [Key] = []
    /// Counts connections, so a request sent on one that then dropped is not left waiting.
    private var generation = 0
    private var statuses: [Key: Status] = [:]
    /// Callers waiting for keys to settle, each with how many of its keys are still pending.
    private var nextWaiter = 0
    private var groups: [Int: (remaining: Int, wakeup: Wakeup)] = [:]
    private var groupsByKey: [Key: [Int]] = [:]
    /// `asCompleted` streams still consumed, by the pending keys they wait for.
    private var watchesByKey: [Key: [WeakWatch]] = [:]
    /// How many live futures refer to each key; at zero the scheduler is told to release it.
    private var references: [Key: Int] = [:]
    private var requests: [UInt64: CheckedContinuation<Message, any Error>] = [:]
    private var earlyReplies: [UInt64: Message] = [:]
    private var nextRequest: UInt64 = 1
    private let logger = Logger.loom("loom.client")
    /// Messages waiting for the frame being written (`write`), and whether one is.
    private var outgoing: [Message] = []
    private var writing = false

    init() {}

    /// The scheduler's welcome, with its dashboard link.
    private(set) var welcome: Welcome?
    /// The welcome's dashboard link, readable without waiting for this actor.
    nonisolated let dashboardLink = Mutex<String?>(nil)
    /// Whether the connection ended for good (closed, or reconnecting gave up).
    nonisolated let closedForGood = Mutex(false)

    func welcomed(_ welcome: Welcome) {
        self.welcome = welcome
        dashboardLink.withLock { $0 = welcome.dashboard.isEmpty ? nil : welcome.dashboard }
    }

    /// Connected (again): what was released meanwhile goes out, and the scheduler re-reports
    /// the keys this client wants that settled while it was away, and says which of those it
    /// still waits for were cancelled meanwhile.
    func connected(_ writer: NIOAsyncChannelOutboundWriter<[UInt8]>, channel: any Channel) async throws {
        if case .closed = phase { throw ConnectionMisuse("a closed client cannot connect again") }
        phase = .connected(writer, channel: channel)
        generation += 1
        outgoing = []  // meant for the connection that dropped
        if !unsentReleases.isEmpty {
            let released = unsentReleases
            unsentReleases = []
            try? await write(.releaseKeys(released), to: writer)
        }
        // Held values too: one the scheduler forgot meanwhile could not be fetched again.
        let waiting = statuses.filter {
            switch $0.value {
            case .pending, .memory: true
            default: false
            }
        }.keys.sorted()
        if generation > 1, !waiting.isEmpty { try? await write(.stillWaiting(waiting), to: writer) }
    }

    /// The connection dropped; the client tries to reconnect. Pending keys stay pending (the
    /// scheduler keeps the work for a while); requests in flight fail, as their replies are lost.
    func disconnected(_ reason: String) {
        if case .closed = phase { return }
        phase = .reconnecting(reason)
        for (_, continuation) in requests { continuation.resume(throwing: LoomError(.workerDied, "the scheduler connection dropped: \(reason)")) }
        requests = [:]
    }

    /// Says goodbye, so the scheduler releases this client's work at once.
    func sayGoodbye() async {
        if let scheduler { try? await write(.closeClient, to: scheduler) }
    }

    /// Closes the connection as a network failure would (for tests of reconnection).
    func dropConnection() {
        if case .connected(_, let channel) = phase { channel.close(promise: nil) }
    }

    /// The writer to the scheduler while connected.
    private var scheduler: NIOAsyncChannelOutboundWriter<[UInt8]>? {
        if case .connected(let writer, _) = phase { writer } else { nil }
    }

    /// Why the client ended for good, once it has.
    private var closedReason: String? {
        if case .closed(let reason) = phase { reason } else { nil }
    }

    private func connectedWriter() throws -> NIOAsyncChannelOutboundWriter<[UInt8]> {
        if let closedReason { throw LoomError(.workerDied, "the client is disconnected: \(closedReason)") }
        guard let scheduler else {
            let reason = if case .reconnecting(let why) = phase { why } else { "not connected yet" }
            throw LoomError(.workerDied, "the client is reconnecting to the scheduler (\(reason)); try again")
        }
        return scheduler
    }

    /// The scheduler hears of each key this client wants once, while any future of it lives (a
    /// pure key submitted twice, a dataset taken up again): it hears one release when the last goes.
    func submit(_ tasks: [WireTask], wanted: [Key], functions: [String: String]) async throws {
        var seen: Set<Key> = []
        // A cancelled key is no longer wanted on the scheduler: asking again wants it anew.
        let new = wanted.filter { key in
            let wantedThere = references[key] != nil && statuses[key]?.isCancelled != true
            return !wantedThere && seen.insert(key).inserted
        }
        if tasks.isEmpty, new.isEmpty {
            for key in wanted { references[key, default: 0] += 1 }
            return
        }
        for key in new where statuses[key]?.isCancelled == true { statuses[key] = .pending }
        try await send(.updateGraph(tasks: tasks, wanted: new, functions: functions), wanting: wanted)
    }

    /// Tells the scheduler about values this client placed on workers; it wants each once.
    func scattered(_ values: [ScatteredValue]) async throws {
        try await send(.scattered(values), wanting: values.map(\.key))
    }

    /// Asks the scheduler to compute the keys even once this client stops wanting them.
    func fireAndForget(_ keys: [Key]) async throws {
        try await send(.fireAndForget(keys), wanting: [])
    }

    /// Asks for the erred keys among `keys` again: they are pending from now until the
    /// scheduler reports them anew.
    func retry(_ keys: [Key]) async throws {
        let erred = keys.filter { if case .erred? = statuses[$0] { true } else { false } }
        guard !erred.isEmpty else { return }
        let scheduler = try connectedWriter()
        for key in erred { statuses[key] = .pending }
        try await write(.retry(erred), to: scheduler)
    }

    /// Cancels the keys (and the dependents of them this client wants); the scheduler answers
    /// `keyCancelled` for each.
    func cancel(_ keys: [Key]) async throws {
        try await send(.cancelKeys(keys), wanting: [])
    }

    private func send(_ message: Message, wanting wanted: [Key]) async throws {
        let scheduler = try connectedWriter()
        for key in wanted {
            references[key, default: 0] += 1
            if statuses[key] == nil { statuses[key] = .pending }
        }
        try await write(message, to: scheduler)
    }

    /// Sends `message` after every message written before it. While a frame is being written,
    /// messages from other tasks (a worker's tasks submitting at once) wait and go together in
    /// the next frame, so many small messages cost a few writes; a lone message goes at once.
    /// Only the task writing the frame hears of a failed write: the connection is dropping
    /// then, and the drop is what the others see.
    private func write(_ message: Message, to writer: NIOAsyncChannelOutboundWriter<[UInt8]>) async throws {
        outgoing.append(message)
        guard !writing else { return }
        writing = true
        defer { writing = false }
        while !outgoing.isEmpty {
            let batch = outgoing
            outgoing = []
            do {
                try await writer.send(batch)
            } catch {
                outgoing = []
                throw error
            }
        }
    }

    /// Waits until the key is in memory, erred, cancelled or lost; a cancelled caller gets
    /// `.pending` back at once.
    func status(of key: Key) async -> Status {
        await statuses(of: [key])[0]
    }

    /// Waits until none of the keys is pending (one suspension, however many keys), then
    /// returns their statuses in order; a cancelled caller gets `.pending` for unsettled keys.
    func statuses(of keys: [Key]) async -> [Status] {
        let pending = Set(keys.filter { statuses[$0]?.isPending ?? false })
        if !pending.isEmpty, closedReason == nil {
            let id = nextWaiter
            nextWaiter += 1
            let wakeup = Wakeup()
            groups[id] = (pending.count, wakeup)
            for key in pending { groupsByKey[key, default: []].append(id) }
            await wakeup.wait()
            groups[id] = nil  // settled, or cancelled (its keys' entries are skipped then)
        }
        return keys.map { key in statuses[key] ?? closedReason.map { .lost($0) } ?? .pending }
    }

    /// Starts delivering the watch's keys as they settle (those settled already at once).
    func register(_ watch: CompletionWatch) {
        for key in watch.keys {
            if let status = statuses[key], status.isPending, closedReason == nil {
                watchesByKey[key, default: []].append(WeakWatch(watch: watch))
            } else {
                watch.deliver(key)
            }
        }
    }

    func currentStatus(of key: Key) -> Status? { statuses[key] }

    /// A fetch from these holders failed: forget them (unless news came meanwhile), ask the
    /// scheduler where the values are now, and leave keys it has nowhere pending until they are
    /// computed again and reported in memory.
    func refresh(_ failed: [Key: [String]]) async throws {
        var stale: [Key] = []
        for (key, holders) in failed {
            guard case .memory(let known) = statuses[key], known == holders else { continue }
            statuses[key] = .pending
            stale.append(key)
        }
        guard !stale.isEmpty else { return }
        guard case .whoHasReply(_, let holders) = try await request({ .whoHas(request: $0, keys: stale) }) else {
            throw TransportError("the scheduler sent an unexpected reply")
        }
        for (key, places) in holders where !places.isEmpty {
            if statuses[key]?.isPending ?? false { settle(key, .memory(holders: places)) }
        }
    }

    /// The keys among `keys` that are no longer pending.
    func settled(_ keys: [Key]) -> Set<Key> {
        Set(keys.filter { key in
            guard let status = statuses[key] else { return closedReason != nil }
            return !status.isPending
        })
    }

    func release(_ keys: [Key]) async {
        var released: [Key] = []
        for key in keys {
            guard let count = references[key] else { continue }
            if count <= 1 {
                references[key] = nil
                statuses[key] = nil
                released.append(key)
            } else {
                references[key] = count - 1
            }
        }
        guard !released.isEmpty, closedReason == nil else { return }
        guard let scheduler else {
            unsentReleases += released
            return
        }
        try? await write(.releaseKeys(released), to: scheduler)
    }

    /// Sends a request carrying a fresh id and waits for the reply with that id.
    func request(_ make: (UInt64) -> Message) async throws -> Message {
        let scheduler = try connectedWriter()
        let sentOn = generation
        let id = nextRequest
        nextRequest += 1
        try await write(make(id), to: scheduler)
        // The reply may have been handled while this actor waited on the send.
        if let reply = earlyReplies.removeValue(forKey: id) { return reply }
        _ = try connectedWriter()
        // Sent on a connection that dropped meanwhile: no reply will come.
        guard generation == sentOn else { throw LoomError(.workerDied, "the scheduler connection dropped while sending a request") }
        return try await withCheckedThrowingContinuation { requests[id] = $0 }
    }

    func handle(_ batch: [Message]) {
        for message in batch {
            switch message {
            case .keyInMemory(let key, _, let holders): settle(key, .memory(holders: holders))
            case .taskErred(let key, let function, let message, let errorType):
                settle(key, .erred(function: function, message: message, type: errorType))
            case .keyCancelled(let key): settle(key, .cancelled)
            case .graphRejected(let reason):
                for (key, status) in statuses where status.isPending { settle(key, .erred(function: "", message: reason, type: nil)) }
            case .whoHasReply(let request, _), .schedulerInfo(let request, _), .restarted(let request, _), .logs(let request, _),
                 .pluginReply(let request, _, _):
                if let waiting = requests.removeValue(forKey: request) {
                    waiting.resume(returning: message)
                } else {
                    earlyReplies[request] = message
                }
            default: logger.info("ignored an unexpected message from the scheduler")
            }
        }
    }

    /// The scheduler connection ended: everything still waiting fails with the reason.
    func closed(_ reason: String) {
        closedForGood.withLock { $0 = true }
        phase = .closed(reason)
        for (key, status) in statuses where status.isPending { settle(key, .lost(reason)) }
        for (_, continuation) in requests { continuation.resume(throwing: LoomError(.workerDied, "the scheduler went away: \(reason)")) }
        requests = [:]
    }

    private func settle(_ key: Key, _ status: Status) {
        if statuses[key] != nil { statuses[key] = status }
        for id in groupsByKey.removeValue(forKey: key) ?? [] {
            guard var group = groups[id] else { continue }
            group.remaining -= 1
            if group.remaining == 0 {
                groups[id] = nil
                group.wakeup.wake()
            } else {
                groups[id] = group
            }
        }
        for watch in watchesByKey.removeValue(forKey: key) ?? [] { watch.watch?.deliver(key) }
    }
}

extension ClientConnection.Status {
    var isPending: Bool { if case .pending = self { true } else { false } }
    var isCancelled: Bool { if case .cancelled = self { true } else { false } }
}

/// A consumer's `asCompleted` stream, for as long as it keeps it.
private struct WeakWatch {
    weak var watch: CompletionWatch?
}
