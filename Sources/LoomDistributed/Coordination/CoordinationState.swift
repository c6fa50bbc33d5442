import Foundation
import LoomCore

/// The scheduler's variables, events, queues and semaphores, by name: they live until deleted,
/// whoever made them. Waits re-check their condition whenever the name changes.
actor CoordinationState {
    struct Queue {
        var maxSize: Int
        var items: [[UInt8]] = []
        var head = 0
        var count: Int { items.count - head }
    }

    struct Semaphore {
        var maxLeases: Int
        var leaseTimeout: Duration
        /// Lease → when it was last refreshed.
        var leases: [String: ContinuousClock.Instant] = [:]
    }

    private var variables: [String: [UInt8]] = [:]
    private var events: [String: Bool] = [:]
    private var queues: [String: Queue] = [:]
    private var semaphores: [String: Semaphore] = [:]
    /// Topic → subscriber → what it has not received yet.
    private var topics: [String: [String: Subscriber]] = [:]
    private var waiters: [String: [Wakeup]] = [:]

    struct Subscriber {
        var timeout: Duration
        var lastHeard: ContinuousClock.Instant = .now
        var pending: [[UInt8]] = []
    }

    func answer(_ request: CoordinationRequest) async throws -> CoordinationReply {
        switch request {
        case .variableSet(let name, let value):
            variables[name] = value
            changed("variable/\(name)")
            return .done
        case .variableGet(let name, let wait):
            return .value(await waitFor("variable/\(name)", wait) { $0.variables[name] })
        case .variableDelete(let name):
            variables[name] = nil
            return .done
        case .eventSet(let name):
            events[name] = true
            changed("event/\(name)")
            return .done
        case .eventClear(let name):
            events[name] = false
            return .done
        case .eventWait(let name, let wait):
            return .flag(await waitFor("event/\(name)", wait) { $0.events[name] == true ? true : nil } ?? false)
        case .queueCreate(let name, let maxSize):
            if queues[name] == nil { queues[name] = Queue(maxSize: maxSize) }
            return .done
        case .queuePut(let name, let value, let wait):
            try queue(name)
            let put = await waitFor("queue/\(name)", wait) { state -> Bool? in
                guard var queue = state.queues[name], queue.maxSize <= 0 || queue.count < queue.maxSize else { return nil }
                queue.items.append(value)
                state.queues[name] = queue
                return true
            }
            if put != nil { changed("queue/\(name)") }
            return .flag(put ?? false)
        case .queueGet(let name, let wait):
            try queue(name)
            let item = await waitFor("queue/\(name)", wait) { state -> [UInt8]? in
                guard var queue = state.queues[name], queue.count > 0 else { return nil }
                let item = queue.items[queue.head]
                queue.head += 1
                // Drops what was taken once it is most of the storage.
                if queue.head > 1_024, queue.head * 2 > queue.items.count {
                    queue.items.removeFirst(queue.head)
                    queue.head = 0
                }
                state.queues[name] = queue
                return item
            }
            if item != nil { changed("queue/\(name)") }
            return .value(item)
        case .queueCount(let name):
            return .count(try queue(name).count)
        case .queueDelete(let name):
            queues[name] = nil
            changed("queue/\(name)")
            return .done
        case .semaphoreCreate(let name, let maxLeases, let leaseTimeout):
            if semaphores[name] == nil {
                semaphores[name] = Semaphore(maxLeases: maxLeases, leaseTimeout: .milliseconds(Int64(leaseTimeout * 1_000)))
            }
            return .done
        case .semaphoreAcquire(let name, let lease, let wait):
            guard semaphores[name] != nil else { throw LoomError(.invalidArgument, "there is no semaphore named '\(name)'") }
            let acquired = await waitFor("semaphore/\(name)", wait) { state -> Bool? in
                state.expireLeases(of: name)
                guard var semaphore = state.semaphores[name], semaphore.leases.count < semaphore.maxLeases else { return nil }
                semaphore.leases[lease] = .now
                state.semaphores[name] = semaphore
                return true
            }
            return .flag(acquired ?? false)
        case .semaphoreRelease(let name, let lease):
            let held = semaphores[name]?.leases.removeValue(forKey: lease) != nil
            changed("semaphore/\(name)")
            return .flag(held)
        case .semaphoreRefresh(let name, let leases):
            for lease in leases where semaphores[name]?.leases[lease] != nil { semaphores[name]?.leases[lease] = .now }
            return .done
        case .subscribe(let topic, let subscriber, let timeout):
            if topics[topic]?[subscriber] == nil {
                topics[topic, default: [:]][subscriber] = Subscriber(timeout: .milliseconds(Int64(max(timeout, 0.001) * 1_000)))
            }
            return .done
        case .unsubscribe(let topic, let subscriber):
            topics[topic]?[subscriber] = nil
            if topics[topic]?.isEmpty ?? false { topics[topic] = nil }
            return .done
        case .subscriberRefresh(let topic, let subscriber):
            try heard(topic, subscriber)
            return .done
        case .publish(let topic, let value):
            let subscribers = topics[topic]?.keys.sorted() ?? []
            for subscriber in subscribers {
                topics[topic]?[subscriber]?.pending.append(value)
                changed("topic/\(topic)/\(subscriber)")
            }
            return .count(subscribers.count)
        case .receive(let topic, let subscriber, let wait):
            try heard(topic, subscriber)
            let received = await waitFor("topic/\(topic)/\(subscriber)", wait) { state -> [[UInt8]]? in
                guard let pending = state.topics[topic]?[subscriber]?.pending, !pending.isEmpty else { return nil }
                state.topics[topic]?[subscriber]?.pending = []
                return pending
            }
            return .values(received ?? [])
        }
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
        Summary(variables: variables.keys.sorted(), events: events, queues: queues.mapValues(\.count),
                semaphores: semaphores.mapValues(\.leases.count), topics: topics.mapValues(\.count), waiting: waiters.mapValues(\.count).filter { $0.value > 0 })
    }

    /// Leases not refreshed within their timeout (a holder that died) go; waiters hear of it.
    /// So do subscribers not heard from within theirs, and what waited for them.
    func expireLeases() {
        for name in semaphores.keys { expireLeases(of: name) }
        let now = ContinuousClock.now
        for (topic, subscribers) in topics {
            for (subscriber, record) in subscribers where now - record.lastHeard > record.timeout {
                topics[topic]?[subscriber] = nil
            }
            if topics[topic]?.isEmpty ?? false { topics[topic] = nil }
        }
    }

    /// The subscriber is alive; an unknown one (it expired, or never subscribed) is an error.
    private func heard(_ topic: String, _ subscriber: String) throws {
        guard topics[topic]?[subscriber] != nil else {
            throw LoomError(.invalidArgument, "topic '\(topic)' has no subscriber \(subscriber) (it was not heard from within its timeout?)")
        }
        topics[topic]?[subscriber]?.lastHeard = .now
    }

    private func expireLeases(of name: String) {
        guard var semaphore = semaphores[name] else { return }
        let now = ContinuousClock.now
        let expired = semaphore.leases.filter { now - $0.value > semaphore.leaseTimeout }.map(\.key)
        guard !expired.isEmpty else { return }
        for lease in expired { semaphore.leases[lease] = nil }
        semaphores[name] = semaphore
        changed("semaphore/\(name)")
    }

    @discardableResult
    private func queue(_ name: String) throws -> Queue {
        guard let queue = queues[name] else { throw LoomError(.invalidArgument, "there is no queue named '\(name)' (deleted?)") }
        return queue
    }

    /// `attempt`'s answer once it has one, trying again at each change of `topic`, for at most
    /// `wait` seconds (and `CoordinationPlugin.longestWait`); nil if it had none by then.
    private func waitFor<T>(_ topic: String, _ wait: Double, _ attempt: (isolated CoordinationState) -> T?) async -> T? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(min(max(wait, 0), CoordinationPlugin.longestWait) * 1_000))
        while true {
            if let found = attempt(self) { return found }
            let remaining = deadline - .now
            guard remaining > .zero else { return nil }
            let wakeup = Wakeup()
            waiters[topic, default: []].append(wakeup)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await wakeup.wait() }
                group.addTask {
                    try? await Task.sleep(for: remaining)
                    wakeup.wake()
                }
                await group.next()
                group.cancelAll()
            }
            waiters[topic]?.removeAll { $0 === wakeup }
        }
    }

    private func changed(_ topic: String) {
        for wakeup in waiters.removeValue(forKey: topic) ?? [] { wakeup.wake() }
    }
}
