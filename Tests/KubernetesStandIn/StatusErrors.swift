import Foundation

/// A failed API call, answered as the real API server does: a `Status` object whose code,
/// reason, message and details clients match on (a 404 on delete means done, 409 on create
/// means pick another name, 410 on watch means relist).
struct APIError: Error, Sendable {
    let code: Int
    let reason: String
    let message: String
    var details: JSON = nil

    var status: JSON {
        ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Failure", "message": .string(message),
         "reason": .string(reason), "details": details, "code": .int(Int64(code))]
    }

    static func notFound(_ resource: String, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found",
                 details: ["name": .string(name), "kind": .string(resource)])
    }

    static func alreadyExists(_ resource: String, _ name: String, generated: Bool = false) -> APIError {
        // Words and retry hint of the real server's generateName conflict.
        let suffix = generated ? ", the server was not able to generate a unique name for the object" : ""
        return APIError(code: 409, reason: "AlreadyExists", message: "\(resource) \"\(name)\" already exists\(suffix)",
                        details: ["name": .string(name), "kind": .string(resource), "retryAfterSeconds": generated ? 1 : nil])
    }

    /// RBAC's refusal, word for word: `pods "x" is forbidden: User "u" cannot get resource "pods/log"
    /// in API group "" in the namespace "default"`.
    static func forbidden(user: String, verb: String, resource: String, name: String?, namespace: String?) -> APIError {
        let base = resource.split(separator: "/").first.map(String.init) ?? resource
        let subject = name.map { "\(base) \"\($0)\"" } ?? base
        let scope = namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        return APIError(
            code: 403, reason: "Forbidden",
            message: "\(subject) is forbidden: User \"\(user)\" cannot \(verb) resource \"\(resource)\" in API group \"\" \(scope)",
            details: ["name": name.map { .string($0) } ?? nil, "kind": .string(base)])
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    /// A 422 naming each field at fault: `Pod "x" is invalid: spec.containers: Required value`.
    static func invalid(kind: String, name: String, causes: [(field: String, reason: String, message: String)]) -> APIError {
        let parts = causes.map { "\($0.field): \($0.message)" }
        let summary = parts.count == 1 ? parts[0] : "[" + parts.joined(separator: ", ") + "]"
        return APIError(
            code: 422, reason: "Invalid", message: "\(kind) \"\(name)\" is invalid: \(summary)",
            details: ["name": .string(name), "kind": .string(kind),
                      "causes": .array(causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] })])
    }

    static func badRequest(_ message: String) -> APIError { APIError(code: 400, reason: "BadRequest", message: message) }

    static let methodNotAllowed = APIError(
        code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")

    static let noSuchResource = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")

    /// What a watch from a compacted resourceVersion gets, as an ERROR event's object.
    static func expired(requested: Int, oldest: Int) -> APIError {
        APIError(code: 410, reason: "Expired", message: "too old resource version: \(requested) (\(oldest))")
    }

    static func gone(_ message: String) -> APIError { APIError(code: 410, reason: "Gone", message: message) }
}

/// Why the stand-in could not do what a test asked (start, a kubeconfig, a wait).
public struct StandInError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
