import Foundation

/// What the stand-in serves, as discovery tells clients: the core group `v1` only, with pods
/// (and their log), services, secrets and namespaces. kubectl reads this before anything else
/// to map `po`, `svc` and kinds to paths.
enum Discovery {
    struct Resource: Sendable {
        let name: String
        let singular: String
        let kind: String
        let shortNames: [String]
        let namespaced: Bool
        let verbs: [String]
        var listKind: String { kind + "List" }
    }

    static let resources: [Resource] = [
        Resource(name: "pods", singular: "pod", kind: "Pod", shortNames: ["po"], namespaced: true,
                 verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "watch"]),
        Resource(name: "services", singular: "service", kind: "Service", shortNames: ["svc"], namespaced: true,
                 verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "watch"]),
        Resource(name: "secrets", singular: "secret", kind: "Secret", shortNames: [], namespaced: true,
                 verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "watch"]),
        Resource(name: "namespaces", singular: "namespace", kind: "Namespace", shortNames: ["ns"], namespaced: false,
                 verbs: ["get", "list"]),
    ]

    static func resource(_ name: String) -> Resource? { resources.first { $0.name == name } }

    static func apiVersions(serverAddress: String) -> JSON {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    static let groupList: JSON = ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array([])]

    static var resourceList: JSON {
        var entries: [JSON] = []
        for resource in resources {
            entries.append([
                "name": .string(resource.name), "singularName": .string(resource.singular), "namespaced": .bool(resource.namespaced),
                "kind": .string(resource.kind), "verbs": .array(resource.verbs.map(JSON.string)),
                "shortNames": resource.shortNames.isEmpty ? nil : .array(resource.shortNames.map(JSON.string)),
                "categories": resource.name == "pods" || resource.name == "services" ? ["all"] : nil,
            ])
            if resource.name == "pods" {
                entries.append(["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]])
            }
        }
        return ["kind": "APIResourceList", "groupVersion": "v1", "resources": .array(entries)]
    }

    static let version: JSON = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-standin", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
        "platform": "linux/amd64",
    ]

    /// Namespaces exist implicitly: the usual four, and any that holds an object.
    static func namespace(_ name: String, created: String) -> JSON {
        ["kind": "Namespace", "apiVersion": "v1",
         "metadata": ["name": .string(name), "uid": .string(uuid(for: name)), "resourceVersion": "1", "creationTimestamp": .string(created),
                      "labels": ["kubernetes.io/metadata.name": .string(name)]],
         "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"]]
    }

    static let standardNamespaces = ["default", "kube-node-lease", "kube-public", "kube-system"]

    /// A stable uid for a namespace name, so two reads agree.
    private static func uuid(for name: String) -> String {
        var hash: UInt64 = 1469598103934665603
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        let hex = String(format: "%016llx", hash)
        return "00000000-0000-4000-8000-" + hex.suffix(12)
    }
}
