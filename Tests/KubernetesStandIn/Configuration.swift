import Foundation

extension KubernetesStandIn {
    /// What a container of `image: NAME` runs when it has no `command` (an image's ENTRYPOINT),
    /// with the environment the image would set.
    public struct Image: Sendable {
        public var entrypoint: [String]
        public var environment: [String: String]

        public init(entrypoint: [String], environment: [String: String] = [:]) {
            self.entrypoint = entrypoint
            self.environment = environment
        }
    }

    /// The one node pods are scheduled on, and what it can hold.
    public struct Node: Sendable {
        public var name: String
        public var cpu: Double
        public var memoryBytes: Int64
        public var pods: Int

        public init(name: String = "standin-node", cpu: Double = 64, memoryBytes: Int64 = 64 << 30, pods: Int = 110) {
            self.name = name
            self.cpu = cpu
            self.memoryBytes = memoryBytes
            self.pods = pods
        }

        /// The labels a `spec.nodeSelector` is matched against.
        var labels: [String: String] {
            ["kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"]
        }
    }

    /// Who a bearer token is, and what RBAC lets them do.
    public struct User: Sendable {
        public var name: String
        public var token: String
        /// Nil allows everything (cluster-admin).
        public var allowed: Set<Permission>?

        public init(name: String, token: String, allowed: Set<Permission>? = nil) {
            self.name = name
            self.token = token
            self.allowed = allowed
        }
    }

    /// One RBAC rule: a verb (get, list, watch, create, delete, deletecollection) on a resource
    /// (`pods`, `pods/log`, `services`, `secrets`), in every namespace.
    public struct Permission: Hashable, Sendable {
        public var verb: String
        public var resource: String

        public init(_ verb: String, _ resource: String) {
            self.verb = verb
            self.resource = resource
        }
    }
}
