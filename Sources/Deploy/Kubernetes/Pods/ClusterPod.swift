import Foundation
import LoomCore

/// The labels every object of a Loom cluster carries, by which it is found again (scale-down,
/// `close`, `loom kubernetes cleanup`).
public enum ClusterLabels {
    public static let clusterName = "loom.dev/cluster-name"
    public static let component = "loom.dev/component"
    public static let user = "loom.dev/user"

    /// `loom.dev/cluster-name=NAME` (and the component, if given), for a list's labelSelector.
    public static func selector(cluster: String, component: String? = nil) -> String {
        let name = "\(clusterName)=\(cluster)"
        guard let component else { return name }
        return "\(name),\(self.component)=\(component)"
    }

    /// `text` as a label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric.
    static func value(_ text: String) -> String {
        let allowed = text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }
        let trimmed = String(allowed.prefix(63)).trimmingCharacters(in: CharacterSet(charactersIn: "._-"))
        return trimmed.isEmpty ? "unknown" : trimmed
    }
}

/// A pod of the cluster made from the user's template: the template's fields kept, Loom's filled
/// in — `restartPolicy: Never`, the labels, `generateName`, the scheduler's address in the
/// environment, the command-line arguments and resources that match.
struct ClusterPod {
    enum Role: String, Sendable {
        case worker, scheduler
    }

    /// Where the TLS files of a cluster with security are mounted (from a Secret).
    struct TLSMount: Sendable {
        var secretName: String
        var directory: String
        /// `--tls-*` flags naming files under `directory`.
        var arguments: [String]
    }

    static let schedulerPort = 8786
    static let dashboardPort = 8787
    /// The environment variable holding the scheduler's address (`$(LOOM_SCHEDULER_ADDRESS)` in args).
    static let schedulerAddressVariable = "LOOM_SCHEDULER_ADDRESS"
    static let podNameVariable = "LOOM_POD_NAME"
    /// The annotation kubectl reads to pick a pod's main container; Loom reads it too.
    static let defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

    var role: Role
    var cluster: String
    var user: String
    /// In the environment as `LOOM_SCHEDULER_ADDRESS` (workers only).
    var schedulerAddress: String?
    var threads: Int?
    var memory: Int64?
    var deathTimeout: Int = 60
    var tls: TLSMount?
    /// Makes the pod go when its owner goes (workers owned by the scheduler's pod, remote mode).
    var owner: KubernetesJSON?

    /// The pod to create, and the worker settings it got.
    func make(from template: PodTemplate) throws -> (pod: KubernetesJSON, resources: WorkerResources) {
        var pod = template.pod
        var spec = pod["spec"] ?? [:]
        let index = try Self.mainContainer(of: pod)
        var containers = spec["containers"]?.array ?? []
        let field = "spec.containers[\(index)]"
        // The scheduler's pod keeps the template's resources: its worker settings do not apply.
        let (resources, tuned) = role == .worker
            ? try WorkerResources.matching(container: containers[index], at: field, threads: threads, memory: memory)
            : (WorkerResources(threads: 0, memoryLimit: nil), containers[index])
        var container = tuned
        if role == .worker, let first = containers[index]["args"]?[0]?.string, ["worker", "dask-worker", "dask", "scheduler"].contains(first) {
            throw LoomError(.configuration, "\(field).args begins with \(first): Loom gives the worker its arguments (worker $(\(Self.schedulerAddressVariable)) --nthreads …); the template's args may only add worker options such as --resources GPU=1")
        }
        container["args"] = .array(arguments(resources: resources, templateArguments: containers[index]["args"]).map(KubernetesJSON.string))
        container["env"] = .array(environment(existing: container["env"]?.array ?? []))
        if role == .scheduler { container["ports"] = .array(Self.ports(existing: container["ports"]?.array ?? [])) }
        if let tls {
            container["volumeMounts"] = .array((container["volumeMounts"]?.array ?? []) + [["name": "loom-tls", "mountPath": .string(tls.directory), "readOnly": true]])
            // Only the CA and this role's certificate and key: workers never hold the scheduler's key.
            let files = ["ca.pem", "\(role.rawValue).pem", "\(role.rawValue)-key.pem"].map { KubernetesJSON.object(["key": .string($0), "path": .string($0)]) }
            let volume: KubernetesJSON = ["name": "loom-tls", "secret": ["secretName": .string(tls.secretName), "items": .array(files)]]
            spec["volumes"] = .array((spec["volumes"]?.array ?? []) + [volume])
        }
        containers[index] = container
        spec["containers"] = .array(containers)
        spec["restartPolicy"] = "Never"
        pod["spec"] = spec
        pod["metadata"] = metadata(pod["metadata"] ?? [:])
        pod["apiVersion"] = "v1"
        pod["kind"] = "Pod"
        return (pod, resources)
    }

    /// The container that runs Loom: the only one, or the one the default-container annotation
    /// names, or the one named `worker`.
    static func mainContainer(of pod: KubernetesJSON) throws -> Int {
        let containers = pod["spec"]?["containers"]?.array ?? []
        guard !containers.isEmpty else {
            throw LoomError(.configuration, "spec.containers: the pod template has no container; give one whose image runs your Loom program")
        }
        if containers.count == 1 { return 0 }
        let names = containers.map { $0["name"]?.string ?? "?" }
        if let marked = pod["metadata"]?["annotations"]?[defaultContainerAnnotation]?.string {
            guard let index = names.firstIndex(of: marked) else {
                throw LoomError(.configuration, "metadata.annotations[\(defaultContainerAnnotation)] names container \(marked), but spec.containers has \(names.joined(separator: ", "))")
            }
            return index
        }
        if let index = names.firstIndex(of: "worker") { return index }
        throw LoomError(.configuration, "spec.containers has \(containers.count) containers (\(names.joined(separator: ", "))) and none is marked as the one running Loom: set metadata.annotations[\(defaultContainerAnnotation)] to its name, or name it worker")
    }

    private func arguments(resources: WorkerResources, templateArguments: KubernetesJSON?) -> [String] {
        switch role {
        case .scheduler:
            return ["scheduler", "--port", "\(Self.schedulerPort)", "--dashboard-address", ":\(Self.dashboardPort)"] + (tls?.arguments ?? [])
        case .worker:
            // The template's own args are extra worker options (`--resources GPU=1`).
            let extra = templateArguments?.array?.compactMap(\.string) ?? []
            return ["worker", "$(\(Self.schedulerAddressVariable))", "--name", "$(\(Self.podNameVariable))",
                    "--nthreads", "\(resources.threads)", "--memory-limit", resources.memoryLimit.map { "\($0)" } ?? "auto",
                    "--death-timeout", "\(deathTimeout)"] + (tls?.arguments ?? []) + extra
        }
    }

    private func environment(existing: [KubernetesJSON]) -> [KubernetesJSON] {
        let owned = [Self.schedulerAddressVariable, Self.podNameVariable]
        var environment = existing.filter { !owned.contains($0["name"]?.string ?? "") }
        if let schedulerAddress { environment.append(["name": .string(Self.schedulerAddressVariable), "value": .string(schedulerAddress)]) }
        environment.append(["name": .string(Self.podNameVariable), "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]])
        return environment
    }

    private static func ports(existing: [KubernetesJSON]) -> [KubernetesJSON] {
        let taken = Set(existing.compactMap { $0["containerPort"]?.int })
        return existing + [("comm", schedulerPort), ("dashboard", dashboardPort)]
            .filter { !taken.contains($0.1) }
            .map { ["name": .string($0.0), "containerPort": .int($0.1), "protocol": "TCP"] }
    }

    private func metadata(_ template: KubernetesJSON) -> KubernetesJSON {
        var metadata = template
        metadata["name"] = nil
        metadata["generateName"] = .string("\(cluster)-\(role.rawValue)-")
        var labels = metadata["labels"] ?? [:]
        labels[ClusterLabels.clusterName] = .string(cluster)
        labels[ClusterLabels.component] = .string(role.rawValue)
        labels[ClusterLabels.user] = .string(ClusterLabels.value(user))
        metadata["labels"] = labels
        if let owner { metadata["ownerReferences"] = .array((metadata["ownerReferences"]?.array ?? []) + [owner]) }
        return metadata
    }
}
