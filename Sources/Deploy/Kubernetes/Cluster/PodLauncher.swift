import Foundation
import LoomCore
import LoomDistributed
import Logging
import Synchronization

/// Starts each worker as a pod made from the template (`ClusterPod`): one worker per pod, named
/// as its pod, so the workers the scheduler retires are exactly the pods deleted.
final class PodLauncher: WorkerLauncher {
    let api: KubernetesAPI
    let namespace: String
    let template: PodTemplate
    /// The worker's fields besides the scheduler's address (filled in per launch).
    let pod: ClusterPod
    let watcher: PodWatcher
    /// How long a pod may wait for a node or an image before its trouble counts as failure.
    let troublePatience: Duration
    var workersPerLaunch: Int { 1 }
    /// dask-kubernetes' operator rules: at most a quarter fewer per step, 15 s between changes.
    var adaptiveLimits: AdaptiveLimits { AdaptiveLimits(maximumShrink: 0.25, coolDown: .seconds(15)) }

    init(api: KubernetesAPI, namespace: String, template: PodTemplate, pod: ClusterPod, watcher: PodWatcher, troublePatience: Duration) {
        self.api = api
        self.namespace = namespace
        self.template = template
        self.pod = pod
        self.watcher = watcher
        self.troublePatience = troublePatience
    }

    func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers {
        var worker = pod
        worker.schedulerAddress = worker.schedulerAddress ?? scheduler.description
        let manifest = try worker.make(from: template).pod
        let created = try await createPod(manifest, api: api, namespace: namespace)
        return LaunchedPod(name: created, api: api, namespace: namespace, watcher: watcher, troublePatience: troublePatience)
    }
}

/// Creates a pod from a manifest with `generateName`, trying a new name when the generated one
/// was taken (409 AlreadyExists, which the API server answers to a collision); its name.
func createPod(_ manifest: KubernetesJSON, api: KubernetesAPI, namespace: String) async throws -> String {
    var attempt = 0
    while true {
        do {
            let created = try await api.create(.pods, manifest, namespace: namespace)
            guard let name = created.at("metadata.name")?.string else {
                throw LoomError(.configuration, "the API server created a pod without a name: \(String(decoding: created.encoded().prefix(300), as: UTF8.self))")
            }
            return name
        } catch let error as KubernetesError where error.isAlreadyExists && attempt < 5 {
            attempt += 1
        }
    }
}

/// One worker's pod, as the cluster's watch sees it.
final class LaunchedPod: LaunchedWorkers {
    let name: String
    private let api: KubernetesAPI
    private let namespace: String
    private let watcher: PodWatcher
    private let troublePatience: Duration
    private let created = ContinuousClock.now
    private let stopping = Atomic<Bool>(false)

    init(name: String, api: KubernetesAPI, namespace: String, watcher: PodWatcher, troublePatience: Duration) {
        self.name = name
        self.api = api
        self.namespace = namespace
        self.watcher = watcher
        self.troublePatience = troublePatience
    }

    var workerNames: [String]? { [name] }

    /// Trouble a pod does not recover from at once; waiting for a node or an image once it
    /// lasted `troublePatience` (an autoscaler adding a node, a registry retried, may end it).
    var failure: String? {
        let seen = watcher.current
        if let trouble = seen.pods[name]?.trouble {
            guard PodState.passingReasons.contains(trouble.reason) else { return "pod \(name) cannot run: \(trouble)" }
            if let since = seen.troubleSince[name], ContinuousClock.now - since >= troublePatience {
                return "pod \(name) cannot run: \(trouble) (for \(ContinuousClock.now - since))"
            }
            return nil
        }
        return seen.failure
    }

    /// Deleted by someone else (a node lost, a spot eviction, `kubectl delete pod`), or ended.
    var hasEnded: Bool {
        guard !stopping.load(ordering: .relaxed) else { return false }
        let seen = watcher.current
        if seen.deleted.contains(name) || seen.pods[name]?.hasEnded == true { return true }
        // Made and gone while the watch was down: a later list does not have it.
        return seen.pods[name] == nil && (seen.listedSince.map { $0 > created } ?? false)
    }

    /// Asks the API server to delete the pod: it terminates (its worker leaves gracefully on
    /// TERM) and is gone for good; `KubeCluster.close` waits for the pods to disappear.
    func stop() async {
        stopping.store(true, ordering: .relaxed)
        do {
            try await api.delete(.pods, name, namespace: namespace)
        } catch {
            Logger.loom("loom.kubernetes").error("cannot delete pod \(name): \(error)")
        }
    }
}
