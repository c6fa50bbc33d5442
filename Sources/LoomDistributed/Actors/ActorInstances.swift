import LoomCore
import Synchronization

/// The actor instances this process's workers hold, by the key of the task that made each,
/// and the mailbox that runs each one's calls one at a time, in the order they were posted.
final class ActorInstances: Sendable {
    static let shared = ActorInstances()
    /// The actor whose method the mailbox is running.
    @TaskLocal static var calling: Key?

    /// One instance and its mailbox. Only the mailbox's task calls into the instance, so the
    /// (not necessarily `Sendable`) object is never touched by two calls at once.
    private final class Entry: @unchecked Sendable {
        let object: AnyObject
        let type: String
        let mailbox: AsyncStream<@Sendable () async -> Void>.Continuation

        init(_ object: AnyObject, type: String) {
            self.object = object
            self.type = type
            let (calls, mailbox) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
            self.mailbox = mailbox
            Task { for await call in calls { await call() } }
        }

        deinit { mailbox.finish() }
    }

    private let entries = Mutex<[Key: Entry]>([:])

    func keep(_ object: AnyObject, as key: Key, type: String) {
        entries.withLock { $0[key] = Entry(object, type: type) }
    }

    /// Runs `call` after the calls posted before it on the actor made by `key`; false if this
    /// process holds no such actor.
    func post(_ call: @escaping @Sendable () async -> Void, to key: Key) -> Bool {
        guard let entry = entries.withLock({ $0[key] }) else { return false }
        entry.mailbox.yield(call)
        return true
    }

    /// The instance `key` made, as the method being called expects it.
    func instance<Instance: AnyObject>(_ key: Key) throws -> Instance {
        guard let entry = entries.withLock({ $0[key] }) else {
            throw LoomError(.invalidArgument, "no actor '\(key)' on this worker (released, or its worker restarted?)")
        }
        guard let instance = entry.object as? Instance else {
            throw LoomError(.invalidArgument, "actor '\(key)' is a '\(entry.type)', not a \(Instance.self)")
        }
        return instance
    }

    /// The worker let these keys go: the actors they made go too (a call still queued finishes).
    func drop(_ keys: [Key]) {
        entries.withLock { entries in for key in keys { entries[key] = nil } }
    }
}
