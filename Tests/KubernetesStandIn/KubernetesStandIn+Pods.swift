import Foundation

extension KubernetesStandIn {
    /// A pod as a test reads it: the fields tests ask about, and the whole object.
    public struct PodSnapshot: Sendable {
        public struct Container: Sendable {
            public let name: String
            /// `waiting`, `running` or `terminated`.
            public let state: String
            /// The waiting or terminated reason (ContainerCreating, ImagePullBackOff, Completed, OOMKilled, …).
            public let reason: String?
            public let exitCode: Int?
            public let restartCount: Int
        }

        public let name: String
        public let namespace: String
        public let uid: String
        /// Pending, Running, Succeeded or Failed.
        public let phase: String
        public let podIP: String?
        public let nodeName: String?
        public let labels: [String: String]
        public let isTerminating: Bool
        /// The PodScheduled=False message (`0/1 nodes are available: 1 Insufficient memory.`).
        public let unschedulableMessage: String?
        public let containers: [Container]
        public let object: JSON

        init(_ pod: JSON) {
            let metadata = pod["metadata"], status = pod["status"]
            name = metadata["name"].string ?? ""
            namespace = metadata["namespace"].string ?? ""
            uid = metadata["uid"].string ?? ""
            phase = status["phase"].string ?? "Pending"
            podIP = status["podIP"].string
            nodeName = pod["spec"]["nodeName"].string
            labels = metadata["labels"].stringMap
            isTerminating = !metadata["deletionTimestamp"].isNull
            unschedulableMessage = (status["conditions"].array ?? [])
                .first { $0["type"].string == "PodScheduled" && $0["reason"].string == "Unschedulable" }?["message"].string
            containers = (status["containerStatuses"].array ?? []).map { container in
                let state = container["state"]
                let kind = ["running", "terminated", "waiting"].first { !state[$0].isNull } ?? "waiting"
                return Container(name: container["name"].string ?? "", state: kind, reason: state[kind]["reason"].string,
                                 exitCode: state["terminated"]["exitCode"].int.map(Int.init), restartCount: Int(container["restartCount"].int ?? 0))
            }
            object = pod
        }
    }

    /// The pods of a namespace (nil: of all), by name.
    public func pods(namespace: String? = "default") -> [PodSnapshot] {
        store.list("pods", namespace: namespace).items.map(PodSnapshot.init)
    }

    /// Any stored object (`pods`, `services`, `secrets`) as JSON.
    public func object(_ resource: String, _ name: String, namespace: String = "default") -> JSON? {
        store.get(ObjectKey(resource: resource, namespace: namespace, name: name))
    }

    /// Waits until `condition` holds for the namespace's pods, checked now and after every
    /// change; returns them. Throws after `timeout`, naming what the pods were then.
    @discardableResult
    public func waitForPods(namespace: String? = "default", timeout: Duration = .seconds(30),
                            until condition: @escaping @Sendable ([PodSnapshot]) -> Bool) async throws -> [PodSnapshot] {
        let events = try store.subscribe(from: store.resourceVersion, external: false)
        let current = pods(namespace: namespace)
        if condition(current) { return current }
        let found = await withTaskGroup(of: [PodSnapshot]?.self) { group in
            group.addTask { [self] in
                for await item in events {
                    guard case .event(let event) = item, event.resource == "pods" else { continue }
                    let now = pods(namespace: namespace)
                    if condition(now) { return now }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let found { return found }
        let summary = pods(namespace: namespace).map { pod in
            "\(pod.name): \(pod.phase)" + (pod.containers.compactMap(\.reason).first.map { " (\($0))" } ?? "")
        }
        throw StandInError("pods did not reach the expected state within \(timeout); they are: \(summary.isEmpty ? "none" : summary.joined(separator: ", "))")
    }
}
