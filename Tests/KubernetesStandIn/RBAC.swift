import Foundation

/// Authentication by bearer token and RBAC authorization, with the real server's refusals:
/// 401 for a missing or unknown token, 403 naming the user, verb, resource and scope.
struct RBAC: Sendable {
    let users: [KubernetesStandIn.User]

    /// The user a request's `Authorization` header names.
    func authenticate(_ authorization: String?) throws(APIError) -> KubernetesStandIn.User {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { throw .unauthorized }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard let user = users.first(where: { $0.token == token }) else { throw .unauthorized }
        return user
    }

    func authorize(_ user: KubernetesStandIn.User, verb: String, resource: String, name: String?, namespace: String?) throws(APIError) {
        guard let allowed = user.allowed else { return }
        guard allowed.contains(.init(verb, resource)) else {
            throw .forbidden(user: user.name, verb: verb, resource: resource, name: name, namespace: namespace)
        }
    }
}
