import Foundation
import LoomCore
import Synchronization

/// The scheduler's variables, events, queues, semaphores and topics, by name: they live until
/// deleted, whoever made them. Requests are answered as they arrive, on the scheduler, in the
/// order each connection sent them; one that must wait (an empty queue, a held lock) is kept
/// beside its name and tried again whenever that name changes, or answered with nothing once
/// its wait runs out. Nothing here suspends, so an answer costs no task and no hop.
final class CoordinationState: Sendable {
    typealias Reply = @Sendable (CoordinationReply) -> Void

    private let store = Mutex(Store())

    /// Answers `request` from `client` through `reply`, now or once it can be met; returns
    /// what it changed in the keys the scheduler keeps for the futures held here.
    @discardableResult
    func answer(_ request: CoordinationRequest, from client: ClientID?, reply: @escaping Reply) throws -> KeptKeys {
        let (answered, changes) = try store.withLock { store in
            var answered: [(Reply, CoordinationReply)] = []
            try store.answer(request, from: client, reply: reply, answered: &answered, owner: self)
            return (answered, store.takeKeyChanges())
        }
        for (reply, answer) in answered { reply(answer) }
        return changes
    }

    /// The requests a client's dropped connection waited on go unanswered: an answer (an item
    /// taken) would be lost on the way. So do the futures it was handed and had not taken up.
    @discardableResult
    func clientDisconnected(_ client: ClientID) -> KeptKeys {
        let (dropped, changes) = store.withLock { store in
            let dropped = store.dropWaiters(of: client)
            store.keyChanges.released += store.handedOver.removeValue(forKey: client) ?? []
            return (dropped, store.takeKeyChanges())
        }
        for waiter in dropped { waiter.timeout?.cancel() }
        return changes
    }

    /// Leases and subscriptions of a client that is gone go at once; waiters hear of it.
    func clientGone(_ client: ClientID) {
        deliver { store, answered in store.forget(client, answered: &answered) }
    }

    /// Leases not refreshed within their timeout (a holder that died) go, and so do subscribers
    /// not heard from within theirs; waiters hear of it.
    func expireLeases() {
        deliver { store, answered in store.expire(now: .now, answered: &answered) }
    }

    /// A wait that ran out: answered with what it gets when nothing came.
    fileprivate func waitRanOut(_ id: Int, on topic: String) {
        let ranOut = store.withLock { $0.removeWaiter(id, on: topic) }
        if let ranOut { ranOut.reply(ranOut.nothing) }
    }

    private func deliver(_ change: (inout Store, inout [(Reply, CoordinationReply)]) -> Void) {
        let answered = store.withLock { store in
            var answered: [(Reply, CoordinationReply)] = []
            change(&store, &answered)
            return answered
        }
        for (reply, answer) in answered { reply(answer) }
    }

    /// What there is, for the dashboard (`/api/plugins`): the names, each queue's length and
    /// semaphore's leases held, and how many requests wait on each name now.
    struct Summary: Encodable, Sendable {
        var variables: [String]
        var events: [String: Bool]
        var queues: [String: Int]
        var semaphores: [String: Int]
        /// Topic → its subscribers.
        var topics: [String: Int]
        var waiting: [String: Int]
    }

    func summary() -> Summary {
        store.withLock { store in
            Summary(variables: store.variables.keys.sorted(), events: store.events, queues: store.queues.mapValues(\.count),
                    semaphores: store.semaphores.mapValues(\.leases.count), topics: store.topics.mapValues(\.count),
                    waiting: store.waiters.mapValues(\.count).filter { $0.value > 0 })
        }
    }
}

fileprivate struct Store {
    /// A value, and the keys of the futures in it.
    struct Held {
        var bytes: [UInt8]
        var keys: [Key] = []
    }

    struct Queue {
        var maxSize: Int
        var items: [Held] = []
        var head = 0
        var count: Int { items.count - head }
    }

    struct Lease {
        var refreshed: ContinuousClock.Instant
        /// The client that took it: its leases go when it does.
        var holder: ClientID?
    }

    struct Semaphore {
        var maxLeases: Int
        var leaseTimeout: Duration
        var leases: [String: Lease] = [:]
    }

    struct Subscriber {
        var timeout: Duration
        var holder: ClientID?
        var lastHeard: ContinuousClock.Instant = .now
        var pending: [[UInt8]] = []
    }

    /// A request waiting for its name to change: `attempt` answers it when it can be met
    /// (`signals`: and then changes the name for the others waiting on it).
    struct Waiter {
        var id: Int
        var client: ClientID?
        var attempt: @Sendable (inout Store) -> CoordinationReply?
        var signals: Bool
        var reply: CoordinationState.Reply
        var nothing: CoordinationReply
        var timeout: Task<Void, Never>?
    }

    var variables: [String: Held] = [:]
    /// Futures a get handed to each client, kept until it says it wants them itself.
    var handedOver: [ClientID: [Key]] = [:]
    /// What the requests answered since the last look changed in the keys kept.
    var keyChanges = KeptKeys()

    mutating func takeKeyChanges() -> KeptKeys {
        defer { keyChanges = KeptKeys() }
        return keyChanges
    }
    var events: [String: Bool] = [:]
    var queues: [String: Queue] = [:]
    var semaphores: [String: Semaphore] = [:]
    /// Topic → subscriber → what it has not received yet.
    var topics: [String: [String: Subscriber]] = [:]
    var waiters: [String: [Waiter]] = [:]
    private var nextWaiter = 0

    mutating func answer(_ request: CoordinationRequest, from client: ClientID?, reply: @escaping CoordinationState.Reply,
                         answered: inout [(CoordinationState.Reply, CoordinationReply)], owner: CoordinationState) throws {
        func now(_ answer: CoordinationReply) { answered.append((reply, answer)) }
        func wait(_ topic: String, _ seconds: Double, nothing: CoordinationReply, signals: Bool = false,
                  _ attempt: @escaping @Sendable (inout Store) -> CoordinationReply?) {
            if let found = attempt(&self) {
                now(found)
                if signals { changed(topic, answered: &answered) }
                return
            }
            let seconds = min(max(seconds, 0), CoordinationPlugin.longestWait)
            guard seconds > 0 else { return now(nothing) }
            let id = nextWaiter
            nextWaiter += 1
            let timeout = Task { [weak owner] in
                try? await Task.sleep(for: .milliseconds(Int64(seconds * 1_000)))
                if !Task.isCancelled { owner?.waitRanOut(id, on: topic) }
            }
            waiters[topic, default: []].append(Waiter(id: id, client: client, attempt: attempt, signals: signals, reply: reply, nothing: nothing, timeout: timeout))
        }

        switch request {
        case .variableSet(let name, let value, let keys):
            let old = variables.updateValue(Held(bytes: value, keys: keys.map(\.key)), forKey: name)
            keyChanges.kept += keys.map(\.key)
            keyChanges.released += old?.keys ?? []
            changed("variable/\(name)", answered: &answered)
            now(.done)
        case .variableGet(let name, let seconds):
            wait("variable/\(name)", seconds, nothing: .value(nil)) { store in
                guard let held = store.variables[name] else { return nil }
                // Kept once more for the reader until it wants them: the value may change meanwhile.
                store.handOver(held.keys, to: client, keptAgain: true)
                return .value(held.bytes)
            }
        case .variableDelete(let name):
            keyChanges.released += variables.removeValue(forKey: name)?.keys ?? []
            now(.done)
        case .eventSet(let name):
            events[name] = true
            changed("event/\(name)", answered: &answered)
            now(.done)
        case .eventClear(let name):
            events[name] = false
            now(.done)
        case .eventWait(let name, let seconds):
            wait("event/\(name)", seconds, nothing: .flag(false)) { store in store.events[name] == true ? .flag(true) : nil }
        case .queueCreate(let name, let maxSize):
            if queues[name] == nil { queues[name] = Queue(maxSize: maxSize) }
            now(.done)
        case .queuePut(let name, let value, let seconds, let keys):
            try queue(name)
            let item = Held(bytes: value, keys: keys.map(\.key))
            wait("queue/\(name)", seconds, nothing: .flag(false), signals: true) { store in
                guard var queue = store.queues.removeValue(forKey: name) else { return nil }
                defer { store.queues[name] = queue }
                guard queue.maxSize <= 0 || queue.count < queue.maxSize else { return nil }
                queue.items.append(item)
                store.keyChanges.kept += item.keys
                return .flag(true)
            }
        case .queueGet(let name, let seconds):
            try queue(name)
            wait("queue/\(name)", seconds, nothing: .value(nil), signals: true) { store in
                store.take(1, from: name, by: client).map { .value($0[0]) }
            }
        case .adopted(let keys):
            // The reader wants them itself now: the hold kept for it goes.
            if let client, var handed = handedOver.removeValue(forKey: client) {
                for key in keys.map(\.key) {
                    guard let index = handed.firstIndex(of: key) else { continue }
                    handed.remove(at: index)
                    keyChanges.released.append(key)
                }
                if !handed.isEmpty { handedOver[client] = handed }
            }
            now(.done)
        case .queueGetBatch(let name, let count, let seconds):
            let available = try queue(name).count
            guard count > 0 else {
                now(.values(take(available, from: name, by: client) ?? []))
                if available > 0 { changed("queue/\(name)", answered: &answered) }
                return
            }
            wait("queue/\(name)", seconds, nothing: .values([]), signals: true) { store in
                store.take(count, from: name, by: client).map { .values($0) }
            }
        case .queueCount(let name):
            now(.count(try queue(name).count))
        case .queueDelete(let name):
            keyChanges.released += queues.removeValue(forKey: name)?.items.flatMap(\.keys) ?? []
            changed("queue/\(name)", answered: &answered)
            now(.done)
        case .semaphoreCreate(let name, let maxLeases, let leaseTimeout):
            if semaphores[name] == nil {
                semaphores[name] = Semaphore(maxLeases: maxLeases, leaseTimeout: .milliseconds(Int64(leaseTimeout * 1_000)))
            }
            now(.done)
        case .semaphoreAcquire(let name, let lease, let seconds):
            guard semaphores[name] != nil else { throw LoomError(.invalidArgument, "there is no semaphore named '\(name)'") }
            wait("semaphore/\(name)", seconds, nothing: .flag(false)) { store in
                guard var semaphore = store.semaphores[name], semaphore.leases.count < semaphore.maxLeases else { return nil }
                semaphore.leases[lease] = Lease(refreshed: .now, holder: client)
                store.semaphores[name] = semaphore
                return .flag(true)
            }
        case .semaphoreRelease(let name, let lease):
            let held = semaphores[name]?.leases.removeValue(forKey: lease) != nil
            changed("semaphore/\(name)", answered: &answered)
            now(.flag(held))
        case .semaphoreRefresh(let name, let leases):
            for lease in leases where semaphores[name]?.leases[lease] != nil { semaphores[name]?.leases[lease]?.refreshed = .now }
            now(.done)
        case .subscribe(let topic, let subscriber, let timeout):
            if topics[topic]?[subscriber] == nil {
                topics[topic, default: [:]][subscriber] = Subscriber(timeout: .milliseconds(Int64(max(timeout, 0.001) * 1_000)), holder: client)
            }
            now(.done)
        case .unsubscribe(let topic, let subscriber):
            topics[topic]?[subscriber] = nil
            if topics[topic]?.isEmpty ?? false { topics[topic] = nil }
            now(.done)
        case .subscriberRefresh(let topic, let subscriber):
            try heard(topic, subscriber)
            now(.done)
        case .publish(let topic, let value):
            let subscribers = topics[topic]?.keys.sorted() ?? []
            for subscriber in subscribers {
                topics[topic]?[subscriber]?.pending.append(value)
                changed("topic/\(topic)/\(subscriber)", answered: &answered)
            }
            now(.count(subscribers.count))
        case .receive(let topic, let subscriber, let seconds):
            try heard(topic, subscriber)
            wait("topic/\(topic)/\(subscriber)", seconds, nothing: .values([])) { store in
                guard let pending = store.topics[topic]?[subscriber]?.pending, !pending.isEmpty else { return nil }
                store.topics[topic]?[subscriber]?.pending = []
                return .values(pending)
            }
        }
    }

    /// The first `count` values of the queue, taken by `client` (the futures in them handed
    /// over to it); nil while it holds fewer.
    mutating func take(_ count: Int, from name: String, by client: ClientID?) -> [[UInt8]]? {
        guard var queue = queues.removeValue(forKey: name) else { return nil }
        defer { queues[name] = queue }
        guard queue.count >= count else { return nil }
        let taken = queue.items[queue.head..<(queue.head + count)]
        handOver(taken.flatMap(\.keys), to: client, keptAgain: false)
        queue.head += count
        // Drops what was taken once it is most of the storage.
        if queue.head > 1_024, queue.head * 2 > queue.items.count {
            queue.items.removeFirst(queue.head)
            queue.head = 0
        }
        return taken.map(\.bytes)
    }

    /// Futures a get answers with stay kept for `client` until it says it wants them itself
    /// (`adopted`): `keptAgain` when whatever held them keeps them too (a variable), else the
    /// taken item's own hold passes to the client (a queue).
    mutating func handOver(_ keys: [Key], to client: ClientID?, keptAgain: Bool) {
        guard !keys.isEmpty else { return }
        guard let client else {
            if !keptAgain { keyChanges.released += keys }
            return
        }
        if keptAgain { keyChanges.kept += keys }
        handedOver[client, default: []] += keys
    }

    /// Tries again, in the order they came, the requests waiting on `topic`, and on the names
    /// those answered change in turn.
    mutating func changed(_ topic: String, answered: inout [(CoordinationState.Reply, CoordinationReply)]) {
        var changes = [topic]
        while let topic = changes.popLast() {
            guard let waiting = waiters.removeValue(forKey: topic) else { continue }
            var still: [Waiter] = []
            for waiter in waiting {
                guard let found = waiter.attempt(&self) else {
                    still.append(waiter)
                    continue
                }
                waiter.timeout?.cancel()
                answered.append((waiter.reply, found))
                if waiter.signals { changes.append(topic) }
            }
            // Requests that came while these were tried wait behind them.
            if !still.isEmpty { waiters[topic] = still + (waiters[topic] ?? []) }
        }
    }

    mutating func removeWaiter(_ id: Int, on topic: String) -> Waiter? {
        guard let index = waiters[topic]?.firstIndex(where: { $0.id == id }) else { return nil }
        let waiter = waiters[topic]?.remove(at: index)
        if waiters[topic]?.isEmpty ?? false { waiters[topic] = nil }
        return waiter
    }

    mutating func dropWaiters(of client: ClientID) -> [Waiter] {
        var dropped: [Waiter] = []
        for (topic, waiting) in waiters where waiting.contains(where: { $0.client == client }) {
            dropped += waiting.filter { $0.client == client }
            let kept = waiting.filter { $0.client != client }
            waiters[topic] = kept.isEmpty ? nil : kept
        }
        return dropped
    }

    mutating func forget(_ client: ClientID, answered: inout [(CoordinationState.Reply, CoordinationReply)]) {
        for (name, semaphore) in semaphores where semaphore.leases.values.contains(where: { $0.holder == client }) {
            semaphores[name]?.leases = semaphore.leases.filter { $0.value.holder != client }
            changed("semaphore/\(name)", answered: &answered)
        }
        for (topic, subscribers) in topics {
            topics[topic] = subscribers.filter { $0.value.holder != client }
            if topics[topic]?.isEmpty ?? false { topics[topic] = nil }
        }
    }

    mutating func expire(now: ContinuousClock.Instant, answered: inout [(CoordinationState.Reply, CoordinationReply)]) {
        for (name, semaphore) in semaphores {
            let live = semaphore.leases.filter { now - $0.value.refreshed <= semaphore.leaseTimeout }
            guard live.count < semaphore.leases.count else { continue }
            semaphores[name]?.leases = live
            changed("semaphore/\(name)", answered: &answered)
        }
        for (topic, subscribers) in topics {
            topics[topic] = subscribers.filter { now - $0.value.lastHeard <= $0.value.timeout }
            if topics[topic]?.isEmpty ?? false { topics[topic] = nil }
        }
    }

    /// The subscriber is alive; an unknown one (it expired, or never subscribed) is an error.
    private mutating func heard(_ topic: String, _ subscriber: String) throws {
        guard topics[topic]?[subscriber] != nil else {
            throw LoomError(.invalidArgument, "topic '\(topic)' has no subscriber \(subscriber) (it was not heard from within its timeout?)")
        }
        topics[topic]?[subscriber]?.lastHeard = .now
    }

    @discardableResult
    private func queue(_ name: String) throws -> Queue {
        guard let queue = queues[name] else { throw LoomError(.invalidArgument, "there is no queue named '\(name)' (deleted?)") }
        return queue
    }
}
