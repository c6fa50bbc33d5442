import Foundation
import LoomDistributed

/// The cluster's pods for the dashboard's pods page (`/pods`, `/api/pods`): each pod's phase,
/// address and, when it cannot run, why. A scheduler plugin of the cluster's scheduler in this
/// process (local mode).
final class KubernetesPlugin: SchedulerPlugin {
    static let pluginName = "kubernetes"
    var name: String { Self.pluginName }
    var observesTransitions: Bool { false }
    private let watcher: PodWatcher
    private let namespace: String

    init(watcher: PodWatcher, namespace: String) {
        self.watcher = watcher
        self.namespace = namespace
    }

    struct Report: Encodable, Sendable {
        struct Pod: Encodable, Sendable {
            let name: String
            let component: String
            let phase: String
            let ip: String?
            let node: String?
            let trouble: String?
        }
        let namespace: String
        let watchError: String?
        let pods: [Pod]
    }

    func status() async -> (any Encodable & Sendable)? {
        let seen = watcher.current
        let pods = seen.pods.values.sorted { $0.name < $1.name }.map { pod in
            Report.Pod(name: pod.name, component: pod.component ?? "", phase: pod.isDeleting ? "Terminating" : pod.phase,
                       ip: pod.podIP, node: pod.node, trouble: pod.trouble?.description)
        }
        return Report(namespace: namespace, watchError: seen.failure, pods: pods)
    }
}
