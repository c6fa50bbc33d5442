import Foundation

/// A request as the real server's request-info resolver sees it: which resource, namespace,
/// name and subresource a path names, which RBAC verb the method and query amount to, and the
/// query parameters (Go clients encode spaces as `+`, so selectors like `k in (a,b)` arrive as
/// `k+in+%28a%2Cb%29`).
struct APIRequest: Sendable {
    enum Target: Sendable, Equatable {
        case discovery(String)
        case collection(resource: String, namespace: String?)
        case object(resource: String, namespace: String?, name: String)
        case log(namespace: String, name: String)
        case unknown
    }

    let method: String
    let target: Target
    let query: [String: String]

    init(method: String, path: String, rawQuery: String?) {
        self.method = method
        query = Self.parse(query: rawQuery ?? "")
        let parts = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        target = Self.target(parts)
    }

    private static func target(_ parts: [String]) -> Target {
        switch parts.count {
        case 0: return .unknown
        case 1 where ["api", "apis", "version", "healthz", "livez", "readyz"].contains(parts[0]): return .discovery(parts[0])
        case 2 where parts == ["api", "v1"]: return .discovery("api/v1")
        default: break
        }
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v1" else { return .unknown }
        let rest = Array(parts.dropFirst(2))
        if rest[0] == "namespaces" {
            switch rest.count {
            case 1: return .collection(resource: "namespaces", namespace: nil)
            case 2: return .object(resource: "namespaces", namespace: nil, name: rest[1])
            case 3: return .collection(resource: rest[2], namespace: rest[1])
            case 4: return .object(resource: rest[2], namespace: rest[1], name: rest[3])
            case 5 where rest[2] == "pods" && rest[4] == "log": return .log(namespace: rest[1], name: rest[3])
            default: return .unknown
            }
        }
        return rest.count == 1 ? .collection(resource: rest[0], namespace: nil) : .unknown
    }

    var isWatch: Bool { ["1", "true"].contains(query["watch"]?.lowercased() ?? "") }

    /// The resource RBAC checks (`pods/log` for logs).
    var resource: String? {
        switch target {
        case .collection(let resource, _), .object(let resource, _, _): resource
        case .log: "pods/log"
        default: nil
        }
    }

    var namespace: String? {
        switch target {
        case .collection(_, let namespace), .object(_, let namespace, _): namespace
        case .log(let namespace, _): namespace
        default: nil
        }
    }

    /// The object's name; for a list or watch, the one a `metadata.name=` field selector picks,
    /// as the real resolver reports it to RBAC.
    var name: String? {
        switch target {
        case .object(_, _, let name), .log(_, let name): return name
        case .collection:
            let requirement = (query["fieldSelector"] ?? "").split(separator: ",").first { $0.hasPrefix("metadata.name=") }
            return requirement.map { String($0.dropFirst("metadata.name=".count)) }
        default: return nil
        }
    }

    /// The RBAC verb; nil for a method the resource has none for (405).
    var verb: String? {
        switch (method, target) {
        case ("GET", .collection): isWatch ? "watch" : "list"
        case ("GET", .object), ("GET", .log): "get"
        case ("POST", .collection): "create"
        case ("DELETE", .object): "delete"
        case ("PATCH", .object): "patch"
        case ("DELETE", .collection): "deletecollection"
        default: nil
        }
    }

    private static func parse(query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }
}
