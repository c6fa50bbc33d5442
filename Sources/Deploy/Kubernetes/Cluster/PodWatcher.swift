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
        /// Why watching fails, while it does (a 401 or 403, or the server unreachable for three
        /// tries in a row; a dropped connection alone is watched again from where it was).
        var failure: String?
        /// Since when each pod has been in trouble (waiting reasons may pass: a pull retried).
        var troubleSince: [String: ContinuousClock.Instant] = [:]
        /// When the last list began: a pod made before then and missing from it is gone.
        var listedSince: ContinuousClock.Instant?
    }

    private let api: KubernetesAPI
    private let selector: String
    private let namespace: String
    private let snapshot = Mutex(Snapshot())
    private let logger = Logger.loom("loom.kubernetes")

    init(api: KubernetesAPI, selector: String, namespace: String) {
        self.api = api
        self.selector = selector
        self.namespace = namespace
    }

    /// Watches in `tasks` (its cluster's) until they close.
    func start(in tasks: ClusterTasks) {
        tasks.start { [weak self] in await self?.run() }
    }

    var current: Snapshot { snapshot.withLock { $0 } }
    var pods: [PodState] { snapshot.withLock { $0.pods.values.sorted { $0.name < $1.name } } }
    func pod(_ name: String) -> PodState? { snapshot.withLock { $0.pods[name] } }

    /// Waits until `condition` holds for the snapshot; throws after `timeout`, with the pods as
    /// they were then.
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
                    let started = ContinuousClock.now
                    let (items, listed) = try await api.list(.pods, labelSelector: selector, namespace: namespace)
                    replace(with: items, listedSince: started)
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
                let refused = (error as? KubernetesError).map { [401, 403].contains($0.code) } ?? false
                // A dropped connection watches on from the last version; refusals and repeated
                // failures are reported, and list again.
                if refused || failures >= 3 {
                    snapshot.withLock { $0.failure = "cannot watch the cluster's pods: \(error)" }
                    version = nil
                }
                logger.warning("pod watch failed; trying again", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
        }
    }

    private func replace(with items: [KubernetesJSON], listedSince: ContinuousClock.Instant) {
        let listed = Dictionary(items.map { (PodState($0).name, PodState($0)) }) { _, last in last }
        let now = ContinuousClock.now
        snapshot.withLock { snapshot in
            snapshot.deleted.formUnion(Set(snapshot.pods.keys).subtracting(listed.keys))
            snapshot.pods = listed
            snapshot.synced = true
            snapshot.listedSince = listedSince
            snapshot.troubleSince = snapshot.troubleSince.filter { listed[$0.key]?.trouble != nil }
            for pod in listed.values where pod.trouble != nil && snapshot.troubleSince[pod.name] == nil { snapshot.troubleSince[pod.name] = now }
        }
    }

    private func apply(_ event: WatchEvent) {
        let pod = PodState(event.object)
        snapshot.withLock { snapshot in
            snapshot.failure = nil  // the watch delivers: whatever failed has passed
            switch event.type {
            case "BOOKMARK":
                return
            case "DELETED":
                snapshot.pods[pod.name] = nil
                snapshot.deleted.insert(pod.name)
                snapshot.troubleSince[pod.name] = nil
            default:
                snapshot.pods[pod.name] = pod
                if pod.trouble == nil {
                    snapshot.troubleSince[pod.name] = nil
                } else if snapshot.troubleSince[pod.name] == nil {
                    snapshot.troubleSince[pod.name] = .now
                }
            }
        }
    }
}
