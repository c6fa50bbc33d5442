import Foundation
import LoomCore
import Yams

/// The pod a user's workers (and, in remote mode, the scheduler) are made from: a Pod manifest
/// (`kind: Pod`, `metadata`, `spec`), or a bare pod spec (`containers: …`), as a YAML file,
/// YAML text or a value built in code. Loom fills in only what it owns (`ClusterPod`).
public struct PodTemplate: Sendable, Hashable {
    /// The manifest, normalised to `{metadata, spec}`.
    public let pod: KubernetesJSON

    public init(_ pod: KubernetesJSON) throws {
        self.pod = try Self.normalised(pod, source: "the pod template")
    }

    public static func yamlFile(_ path: String) throws -> PodTemplate {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoomError(.configuration, "cannot read the pod template \(path): \(error.localizedDescription)")
        }
        return try PodTemplate(pod: try parse(yaml: text, source: path), source: path)
    }

    public static func yaml(_ text: String) throws -> PodTemplate {
        try PodTemplate(pod: try parse(yaml: text, source: "the pod template"), source: "the pod template")
    }

    private init(pod: KubernetesJSON, source: String) throws {
        self.pod = try Self.normalised(pod, source: source)
    }

    /// A template whose one container runs `image` (its entrypoint being a Loom program).
    public static func image(_ image: String, name: String = "worker") -> PodTemplate {
        // Cannot fail: one container with a name.
        try! PodTemplate(["spec": ["containers": [["name": .string(name), "image": .string(image)]]]])
    }

    private static func normalised(_ pod: KubernetesJSON, source: String) throws -> KubernetesJSON {
        guard pod.object != nil else { throw LoomError(.configuration, "\(source): a pod template is a mapping (a Pod, or a pod spec)") }
        if let kind = pod["kind"]?.string, kind != "Pod" {
            throw LoomError(.configuration, "\(source): kind is \(kind), but a pod template is a Pod (or a bare pod spec)")
        }
        var normalised: KubernetesJSON = pod["spec"] != nil ? pod : ["spec": pod]
        normalised["kind"] = nil
        normalised["apiVersion"] = nil
        normalised["status"] = nil
        guard normalised["spec"]?.object != nil else { throw LoomError(.configuration, "\(source): spec is not a mapping") }
        return normalised
    }

    /// YAML as JSON, keeping quoted scalars as strings (`value: "1"` stays text, as Kubernetes wants).
    static func parse(yaml text: String, source: String) throws -> KubernetesJSON {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw LoomError(.configuration, "\(source) is not valid YAML: \(error)")
        }
        guard let node else { throw LoomError(.configuration, "\(source) is empty") }
        return try json(node, source: source, path: "")
    }

    private static func json(_ node: Node, source: String, path: String) throws -> KubernetesJSON {
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(KubernetesJSON.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue: return node.int.map(KubernetesJSON.int) ?? .string(scalar.string)
            case Tag.Name.float.rawValue: return node.float.map(KubernetesJSON.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let items):
            return .array(try items.enumerated().map { try json($1, source: source, path: "\(path)[\($0)]") })
        case .mapping(let pairs):
            var fields: [String: KubernetesJSON] = [:]
            for (key, value) in pairs {
                guard let name = key.string else { throw LoomError(.configuration, "\(source): a key under \(path.isEmpty ? "the top" : path) is not text") }
                fields[name] = try json(value, source: source, path: path.isEmpty ? name : "\(path).\(name)")
            }
            return .object(fields)
        case .alias:
            throw LoomError(.configuration, "\(source): YAML aliases are not supported (at \(path.isEmpty ? "the top" : path))")
        }
    }
}
