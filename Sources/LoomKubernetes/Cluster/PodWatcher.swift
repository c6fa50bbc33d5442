import Foundation
import LoomCore
import LoomDistributed
import Logging
import Synchronization

/// The cluster's pods as the API server last described them, kept current by one watch: a
/// list, then a watch from the list's resourceVersion — again from the last version seen when
/// the server ends the stream, and a new list when it answers 410 Gone (the version is too old).
/// Nothing polls pods one by one.
final class PodWatcher: Sendable {
    struct Snapshot: Sendable {
        var pods: [String: PodState] = [:]
        /// Pods seen deleted (by anyone): gone from the API.
        var deleted: Set<String> = []
        /// Whether a list has arrived.
        var synced = false
        /// Why watching fails, while it does (a 403 on list or watch, the server unreachable).
        var failure: String?
    }

    private let api: KubernetesAPI
    private let selector: String
    private let namespace: String
    private let snapshot = Mutex(Snapshot())
    private let session = Mutex<Task<Void, Never>?>(nil)
    private let logger = Logger.loom("loom.kubernetes")

    init(api: KubernetesAPI, selector: String, namespace: String) {
        self.api = api
        self.selector = selector
        self.namespace = namespace
    }

    func start() {
        let task = Task { [weak self] in
            guard let self else { return }
            await self.run()
        }
        session.withLock { $0 = task }
    }

    func stop() async {
        let task = session.withLock { current in
            defer { current = nil }
            return current
        }
        task?.cancel()
        await task?.value
    }

    var current: Snapshot { snapshot.withLock { $0 } }
    var pods: [PodState] { snapshot.withLock { $0.pods.values.sorted { $0.name < $1.name } } }
    func pod(_ name: String) -> PodState? { snapshot.withLock { $0.pods[name] } }

    /// Waits until `condition` holds for the snapshot; throws after `timeout`, with `describe`'s
    /// account of what was seen.
    func wait(for what: String, timeout: Duration, until condition: (Snapshot) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(current) {
            guard ContinuousClock.now < deadline else {
                let seen = current
                let detail = seen.failure ?? (seen.pods.isEmpty ? "no pods" : seen.pods.values.map(\.description).sorted().joined(separator: "; "))
                throw LoomError(.timeout, "\(what) did not happen within \(timeout): \(detail)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func run() async {
        var version: String?
        var failures = 0
        while !Task.isCancelled {
            do {
                if version == nil {
                    let (items, listed) = try await api.list(.pods, labelSelector: selector, namespace: namespace)
                    replace(with: items)
                    version = listed
                }
                for try await event in api.watch(.pods, labelSelector: selector, resourceVersion: version!, namespace: namespace) {
                    if let seen = event.object.at("metadata.resourceVersion")?.string { version = seen }
                    apply(event)
                    failures = 0
                }
            } catch let error as KubernetesError where error.isGone {
                logger.debug("pod watch expired; listing again", metadata: ["resourceVersion": "\(version ?? "")"])
                version = nil
            } catch {
                guard !Task.isCancelled else { return }
                failures += 1
                snapshot.withLock { $0.failure = "cannot watch the cluster's pods: \(error)" }
                logger.warning("pod watch failed; listing again", metadata: ["error": "\(error)"])
                version = nil
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
        }
    }

    private func replace(with items: [JSON]) {
        let listed = Dictionary(items.map { (PodState($0).name, PodState($0)) }) { _, last in last }
        snapshot.withLock { snapshot in
            snapshot.deleted.formUnion(Set(snapshot.pods.keys).subtracting(listed.keys))
            snapshot.pods = listed
            snapshot.synced = true
            snapshot.failure = nil
        }
    }

    private func apply(_ event: WatchEvent) {
        guard event.type != "BOOKMARK" else { return }
        let pod = PodState(event.object)
        snapshot.withLock { snapshot in
            snapshot.failure = nil
            if event.type == "DELETED" {
                snapshot.pods[pod.name] = nil
                snapshot.deleted.insert(pod.name)
            } else {
                snapshot.pods[pod.name] = pod
            }
        }
    }
}
