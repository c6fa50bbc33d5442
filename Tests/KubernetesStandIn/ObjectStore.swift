import Foundation
import Synchronization

/// What happened to an object, with the global resourceVersion it happened at.
struct StoreEvent: Sendable {
    enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    let kind: Kind
    let resource: String
    let object: JSON
    /// The object before a MODIFIED, so a selective watch can tell an object leaving its set.
    let previous: JSON?
    let resourceVersion: Int
}

/// What a subscriber receives: events in resourceVersion order, and bookmarks.
enum WatchItem: Sendable {
    case event(StoreEvent)
    case bookmark(resourceVersion: Int)
}

struct ObjectKey: Hashable, Sendable {
    let resource: String
    let namespace: String
    let name: String
}

/// The stand-in's etcd: every object by resource, namespace and name; one resourceVersion
/// counter for all of them; the history of events since the last compaction, so a watch can
/// resume from a resourceVersion (or learn with a 410 that it cannot); and the fan-out to every
/// open watch, in one order for all (events are handed over under the lock).
final class ObjectStore: Sendable {
    private struct Subscriber {
        let continuation: AsyncStream<WatchItem>.Continuation
        /// API watches, which `expireWatches()` ends; the stand-in's own controllers are not.
        let external: Bool
    }

    private struct State {
        var objects: [ObjectKey: JSON] = [:]
        var resourceVersion = 1000
        var history: [StoreEvent] = []
        /// Watches from a resourceVersion below this get 410 Gone.
        var compactedThrough = 1000
        var subscribers: [UInt64: Subscriber] = [:]
        var nextSubscriber: UInt64 = 0
        var nextNames: [String] = []
    }

    private let state = Mutex(State())
    /// Events kept for resuming watches; the oldest go first, as etcd compacts.
    private static let historyLimit = 10_000
    /// The alphabet of the real `generateName` suffixes (no vowels, no look-alikes).
    static let nameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    var resourceVersion: Int { state.withLock { $0.resourceVersion } }

    func get(_ key: ObjectKey) -> JSON? { state.withLock { $0.objects[key] } }

    /// Objects of `resource`, in one namespace or all, sorted as the real server sorts them.
    func list(_ resource: String, namespace: String?) -> (items: [JSON], resourceVersion: Int) {
        state.withLock { state in
            let keys = state.objects.keys.filter { $0.resource == resource && (namespace == nil || $0.namespace == namespace) }
                .sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
            return (keys.map { state.objects[$0]! }, state.resourceVersion)
        }
    }

    /// Stores a new object: its name (or one made from `metadata.generateName`), uid,
    /// resourceVersion and creationTimestamp are set here. 409 when the name is taken.
    func create(_ resource: String, namespace: String, _ object: JSON) throws(APIError) -> JSON {
        try state.withLock { state throws(APIError) in
            var object = object
            var generated = false
            if object["metadata"]["name"].string?.isEmpty ?? true, let prefix = object["metadata"]["generateName"].string {
                let suffix = state.nextNames.isEmpty
                    ? String((0..<5).map { _ in Self.nameAlphabet.randomElement()! }) : state.nextNames.removeFirst()
                object["metadata"]["name"] = .string(prefix + suffix)
                generated = true
            }
            let name = object["metadata"]["name"].string ?? ""
            let key = ObjectKey(resource: resource, namespace: namespace, name: name)
            guard state.objects[key] == nil else { throw .alreadyExists(resource, name, generated: generated) }
            state.resourceVersion += 1
            object["metadata"]["namespace"] = .string(namespace)
            object["metadata"]["uid"] = .string(UUID().uuidString.lowercased())
            object["metadata"]["resourceVersion"] = .string(String(state.resourceVersion))
            object["metadata"]["creationTimestamp"] = .string(Timestamp.now())
            state.objects[key] = object
            Self.publish(StoreEvent(kind: .added, resource: resource, object: object, previous: nil, resourceVersion: state.resourceVersion), in: &state)
            return object
        }
    }

    /// Changes a stored object in place (status by the kubelet, deletionTimestamp by a delete);
    /// a change that leaves it as it was makes no event. Nil when the object is gone, or when
    /// `uid` is given and the object of that name is another one.
    @discardableResult
    func update(_ key: ObjectKey, uid: String? = nil, _ change: (inout JSON) -> Void) -> JSON? {
        state.withLock { state in
            guard let previous = state.objects[key], uid == nil || previous["metadata"]["uid"].string == uid else { return nil }
            var object = previous
            change(&object)
            guard object != previous else { return previous }
            state.resourceVersion += 1
            object["metadata"]["resourceVersion"] = .string(String(state.resourceVersion))
            state.objects[key] = object
            Self.publish(StoreEvent(kind: .modified, resource: key.resource, object: object, previous: previous, resourceVersion: state.resourceVersion), in: &state)
            return object
        }
    }

    /// Removes an object for good (the DELETED event); nil when it was not there.
    @discardableResult
    func remove(_ key: ObjectKey, uid: String? = nil) -> JSON? {
        state.withLock { state in
            guard var object = state.objects[key], uid == nil || object["metadata"]["uid"].string == uid else { return nil }
            state.objects[key] = nil
            state.resourceVersion += 1
            object["metadata"]["resourceVersion"] = .string(String(state.resourceVersion))
            Self.publish(StoreEvent(kind: .deleted, resource: key.resource, object: object, previous: nil, resourceVersion: state.resourceVersion), in: &state)
            return object
        }
    }

    /// Every object whose `metadata.ownerReferences` names `uid`.
    func dependents(of uid: String) -> [(ObjectKey, JSON)] {
        state.withLock { state in
            state.objects.filter { _, object in
                (object["metadata"]["ownerReferences"].array ?? []).contains { $0["uid"].string == uid }
            }.map { ($0.key, $0.value) }
        }
    }

    /// Whether any object has this uid.
    func exists(uid: String) -> Bool {
        state.withLock { $0.objects.values.contains { $0["metadata"]["uid"].string == uid } }
    }

    /// Events after `resourceVersion`, then every later one as it happens. Nil `resourceVersion`
    /// starts with a synthetic ADDED for every current object (a watch without one, or from "0").
    /// 410 when events after it were compacted away.
    func subscribe(from resourceVersion: Int?, external: Bool) throws(APIError) -> AsyncStream<WatchItem> {
        let (stream, continuation) = AsyncStream<WatchItem>.makeStream()
        let id = try state.withLock { state throws(APIError) -> UInt64 in
            if let resourceVersion {
                guard resourceVersion >= state.compactedThrough else {
                    throw .expired(requested: resourceVersion, oldest: state.compactedThrough)
                }
                for event in state.history where event.resourceVersion > resourceVersion { continuation.yield(.event(event)) }
            } else {
                for (key, object) in state.objects.sorted(by: { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }) {
                    let version = Int(object["metadata"]["resourceVersion"].string ?? "") ?? state.resourceVersion
                    continuation.yield(.event(StoreEvent(kind: .added, resource: key.resource, object: object, previous: nil, resourceVersion: version)))
                }
            }
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = Subscriber(continuation: continuation, external: external)
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    /// Ends every API watch, as an API server restart does; clients must resume or relist.
    func expireWatches() {
        let ended = state.withLock { state in
            let external = state.subscribers.filter(\.value.external)
            for id in external.keys { state.subscribers[id] = nil }
            return external.values.map(\.continuation)
        }
        for continuation in ended { continuation.finish() }
    }

    /// Forgets the event history, as etcd compaction does: watches from before now get 410.
    func compact() {
        state.withLock { state in
            state.history.removeAll()
            state.compactedThrough = state.resourceVersion
        }
    }

    /// Tells every watch the current resourceVersion (BOOKMARK events, for those that asked).
    func bookmark() {
        state.withLock { state in
            for subscriber in state.subscribers.values { subscriber.continuation.yield(.bookmark(resourceVersion: state.resourceVersion)) }
        }
    }

    func setNextGeneratedNames(_ names: [String]) { state.withLock { $0.nextNames = names } }

    /// Ends every subscription (the stand-in's shutdown).
    func finishAll() {
        let all = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return state.subscribers.values.map(\.continuation)
        }
        for continuation in all { continuation.finish() }
    }

    private static func publish(_ event: StoreEvent, in state: inout State) {
        state.history.append(event)
        if state.history.count > historyLimit {
            let dropped = state.history.count - historyLimit / 2
            state.compactedThrough = state.history[dropped - 1].resourceVersion
            state.history.removeFirst(dropped)
        }
        for subscriber in state.subscribers.values { subscriber.continuation.yield(.event(event)) }
    }
}

/// RFC 3339 timestamps in seconds, as Kubernetes writes them (`2025-01-02T03:04:05Z`).
enum Timestamp {
    static func now() -> String { string(Date()) }

    static func string(_ date: Date) -> String {
        Date.ISO8601FormatStyle().format(date)
    }

    static func parse(_ text: String?) -> Date? {
        guard let text else { return nil }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
