import Foundation

/// What a cluster needs to know of one of its pods, read from the pod object: its phase and
/// address, and — when it cannot run — why, in Kubernetes' own words (Unschedulable,
/// ImagePullBackOff, CrashLoopBackOff, OOMKilled, Failed …), so that a stuck cluster says so
/// instead of waiting for ever.
public struct PodState: Sendable, Hashable, CustomStringConvertible {
    public struct Trouble: Sendable, Hashable, CustomStringConvertible {
        public let reason: String
        public let message: String
        public var description: String { message.isEmpty ? reason : "\(reason): \(message)" }
    }

    public let name: String
    /// Pending, Running, Succeeded, Failed or Unknown.
    public let phase: String
    public let podIP: String?
    public let node: String?
    /// `worker` or `scheduler` (its `loom.dev/component` label).
    public let component: String?
    /// Deletion was asked for (by anyone); the pod is terminating.
    public let isDeleting: Bool
    public let trouble: Trouble?
    public let uid: String?

    /// Trouble that may pass without anyone's help: a node may be added, a pull retried.
    static let passingReasons: Set<String> = ["Unschedulable", "ErrImagePull", "ImagePullBackOff"]

    /// Waiting reasons that keep a pod from running (those in `passingReasons` may pass).
    static let stuckReasons: Set<String> = [
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CrashLoopBackOff",
        "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    ]

    public init(_ pod: KubernetesJSON) {
        name = pod.at("metadata.name")?.string ?? "?"
        uid = pod.at("metadata.uid")?.string
        phase = pod.at("status.phase")?.string ?? "Pending"
        podIP = pod.at("status.podIP")?.string.flatMap { $0.isEmpty ? nil : $0 }
        node = pod.at("spec.nodeName")?.string
        component = pod.at("metadata.labels")?[ClusterLabels.component]?.string
        isDeleting = pod.at("metadata.deletionTimestamp") != nil
        trouble = Self.trouble(of: pod)
    }

    /// Ended: it will not run (again); restartPolicy Never makes Failed and Succeeded final.
    public var hasEnded: Bool { phase == "Failed" || phase == "Succeeded" }
    public var isRunning: Bool { phase == "Running" && !isDeleting }

    public var description: String {
        "pod \(name): \(trouble?.description ?? (isDeleting ? "Terminating" : phase))"
    }

    private static func trouble(of pod: KubernetesJSON) -> Trouble? {
        let status = pod["status"] ?? [:]
        let containers = (status["containerStatuses"]?.array ?? []) + (status["initContainerStatuses"]?.array ?? [])
        for container in containers {
            for state in [container["state"], container["lastState"]] {
                if let terminated = state?["terminated"], terminated["reason"]?.string == "OOMKilled" {
                    return Trouble(reason: "OOMKilled", message: "container \(container["name"]?.string ?? "?") used more memory than its limit")
                }
            }
            if let waiting = container.at("state.waiting"), let reason = waiting["reason"]?.string, stuckReasons.contains(reason) {
                return Trouble(reason: reason, message: waiting["message"]?.string ?? "")
            }
        }
        for condition in status["conditions"]?.array ?? []
        where condition["type"]?.string == "PodScheduled" && condition["status"]?.string == "False" && condition["reason"]?.string == "Unschedulable" {
            return Trouble(reason: "Unschedulable", message: condition["message"]?.string ?? "")
        }
        guard status["phase"]?.string == "Failed" else { return nil }
        if let reason = status["reason"]?.string { return Trouble(reason: reason, message: status["message"]?.string ?? "") }
        for container in containers {
            if let terminated = container.at("state.terminated") {
                let code = terminated["exitCode"]?.int.map { "exit code \($0)" } ?? ""
                let message = [terminated["message"]?.string, code].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
                return Trouble(reason: "Failed", message: "container \(container["name"]?.string ?? "?") \(terminated["reason"]?.string ?? "ended"): \(message)")
            }
        }
        return Trouble(reason: "Failed", message: status["message"]?.string ?? "")
    }
}
