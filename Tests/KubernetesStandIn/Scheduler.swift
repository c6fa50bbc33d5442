/// kube-scheduler for one node: a pod fits when its summed container requests fit in what the
/// pods already on the node leave, its nodeSelector matches the node's labels, and the node's
/// pod limit is not reached. The refusal is worded as the real scheduler words it.
struct Scheduler: Sendable {
    let node: KubernetesStandIn.Node

    struct Usage {
        var cpu: Double = 0
        var memory: Double = 0
        var pods = 0

        mutating func add(_ pod: JSON) {
            let requests = Scheduler.requests(of: pod)
            cpu += requests.cpu
            memory += requests.memory
            pods += 1
        }
    }

    /// The `PodScheduled=False` message for `pod` on the node so used; nil when it fits.
    func refusal(for pod: JSON, usage: Usage) -> String? {
        let selector = pod["spec"]["nodeSelector"].stringMap
        if !selector.allSatisfy({ node.labels[$0.key] == $0.value }) {
            return "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
        }
        let requests = Self.requests(of: pod)
        var reasons: [String] = []
        if requests.cpu > 0, usage.cpu + requests.cpu > node.cpu + 1e-9 { reasons.append("1 Insufficient cpu") }
        if requests.memory > 0, usage.memory + requests.memory > Double(node.memoryBytes) { reasons.append("1 Insufficient memory") }
        if usage.pods + 1 > node.pods { reasons.append("1 Too many pods") }
        return reasons.isEmpty ? nil : "0/1 nodes are available: \(reasons.joined(separator: ", "))."
    }

    /// Summed container requests (limits stand for requests when only limits are given).
    static func requests(of pod: JSON) -> (cpu: Double, memory: Double) {
        var cpu = 0.0, memory = 0.0
        for container in pod["spec"]["containers"].array ?? [] {
            let resources = container["resources"]
            cpu += Quantity.parse(resources["requests"]["cpu"]) ?? Quantity.parse(resources["limits"]["cpu"]) ?? 0
            memory += Quantity.parse(resources["requests"]["memory"]) ?? Quantity.parse(resources["limits"]["memory"]) ?? 0
        }
        return (cpu, memory)
    }

    /// Whether a pod holds node resources: bound here and not finished.
    func occupies(_ pod: JSON) -> Bool {
        let phase = pod["status"]["phase"].string
        return pod["spec"]["nodeName"].string == node.name && phase != "Succeeded" && phase != "Failed"
    }
}
