import Foundation

/// A request the API server refused, made readable: what was asked (verb, resource, namespace,
/// name) and what the server's `Status` said. A 403 names the permission the client's Role lacks.
public struct KubernetesError: Error, CustomStringConvertible, Sendable {
    /// The HTTP status (403), or 0 when the server was not reached.
    public let code: Int
    /// The `Status` reason (`Forbidden`, `NotFound`, `AlreadyExists`, `Expired`), if the server gave one.
    public let reason: String
    public let message: String
    public let verb: String
    /// `pods`, `pods/log`, `services`, `secrets`.
    public let resource: String
    public let namespace: String
    public let name: String?

    public var isNotFound: Bool { code == 404 }
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
    /// A watch's resourceVersion is too old: list again.
    public var isGone: Bool { code == 410 }

    init(code: Int, reason: String, message: String, verb: String, resource: String, namespace: String, name: String?) {
        self.code = code
        self.reason = reason
        self.message = message
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.name = name
    }

    /// From a response: its `Status` body if it has one, else its text.
    init(code: Int, body: Data, verb: String, resource: String, namespace: String, name: String?) {
        let status = try? KubernetesJSON(parsing: body)
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        self.init(code: code, reason: status?["reason"]?.string ?? HTTPReason.phrase(code),
                  message: status?["message"]?.string ?? (text.isEmpty ? "(no message)" : text),
                  verb: verb, resource: resource, namespace: namespace, name: name)
    }

    /// An ERROR event of a watch stream.
    init(status: KubernetesJSON, verb: String, resource: String, namespace: String) {
        self.init(code: status["code"]?.int ?? 500, reason: status["reason"]?.string ?? "Unknown",
                  message: status["message"]?.string ?? "(no message)", verb: verb, resource: resource, namespace: namespace, name: nil)
    }

    public var description: String {
        let object = name.map { "\(resource) \($0)" } ?? resource
        switch code {
        case 401:
            return "the Kubernetes API server refused our credentials (401 Unauthorized) to \(verb) \(object): \(message)"
        case 0:
            return "cannot \(verb) \(object) in namespace \(namespace): \(message)"
        case 403 where message.contains("cannot \(verb) resource"):
            // RBAC's refusal; quotas and admission (PodSecurity) answer 403 too, in other words.
            return "\(resource) \(verb) is forbidden in namespace \(namespace): the client's Role needs verb \"\(verb)\" on resource \"\(resource)\" (the API server said: \(message))"
        case 403:
            return "the API server refused to \(verb) \(object) in namespace \(namespace) (403 Forbidden): \(message)"
        case 404:
            return "\(object) not found in namespace \(namespace) (\(verb)): \(message)"
        default:
            return "\(verb) \(object) in namespace \(namespace) failed: \(code) \(reason): \(message)"
        }
    }
}

enum HTTPReason {
    static func phrase(_ code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 409: "Conflict"
        case 410: "Gone"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP \(code)"
        }
    }
}
