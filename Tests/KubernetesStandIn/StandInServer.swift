import Foundation
import Hummingbird

/// The HTTP face of the API server: authentication, RBAC, then discovery, list, get, watch,
/// create, delete and logs, every failure a `Status`. Setting `KUBE_STANDIN_TRACE=1` prints each
/// request (method, path, query, Accept) to standard error, to see what a client asks.
struct StandInServer: Sendable {
    let store: ObjectStore
    let registry: Registry
    let rbac: RBAC
    let logs: PodLogs
    let port: ListeningPort
    private static let trace = ProcessInfo.processInfo.environment["KUBE_STANDIN_TRACE"] == "1"

    func respond(to request: Request) async -> Response {
        let contentType = request.headers[.contentType]
        let call = APIRequest(method: request.method.rawValue, path: request.uri.path, rawQuery: request.uri.query)
        let accept = request.headers[.accept]
        if Self.trace {
            FileHandle.standardError.write(Data("kube-standin: \(request.method) \(request.uri.path)?\(request.uri.query ?? "") accept=\(accept ?? "")\n".utf8))
        }
        do {
            var request = request
            let body = try? await request.collectBody(upTo: 16 << 20)
            return try respond(call, body: body.map { Data(buffer: $0) }, authorization: request.headers[.authorization], accept: accept,
                               contentType: contentType)
        } catch {
            return Self.json(error.status, status: error.code)
        }
    }

    private func respond(_ call: APIRequest, body: Data?, authorization: String?, accept: String?,
                         contentType: String?) throws(APIError) -> Response {
        let user = try rbac.authenticate(authorization)
        if case .discovery(let path) = call.target {
            guard call.method == "GET" else { throw .methodNotAllowed }
            switch path {
            case "api": return Self.json(Discovery.apiVersions(serverAddress: "127.0.0.1:\(port.value)"))
            case "apis": return Self.json(Discovery.groupList)
            case "api/v1": return Self.json(Discovery.resourceList)
            case "version": return Self.json(Discovery.version)
            default: return Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
            }
        }
        guard let resource = call.resource, Discovery.resource(resource) != nil || resource == "pods/log" else { throw .noSuchResource }
        guard let verb = call.verb else { throw .methodNotAllowed }
        if let namespaced = Discovery.resource(resource)?.namespaced, namespaced, call.namespace == nil, verb != "list", verb != "watch" {
            throw .methodNotAllowed
        }
        try rbac.authorize(user, verb: verb, resource: resource, name: call.name, namespace: call.namespace)
        if verb == "patch" && resource == "namespaces" { throw .methodNotAllowed }
        let table = Tables.wanted(accept)
        switch call.target {
        case .log(let namespace, let name):
            return try logs.respond(namespace: namespace, name: name, query: call.query)
        case .collection("namespaces", _), .object("namespaces", _, _):
            return try namespaces(call, table: table)
        case .collection(let resource, let namespace):
            let labels = try LabelSelector(parsing: call.query["labelSelector"] ?? "")
            let fields = try FieldSelector(parsing: call.query["fieldSelector"] ?? "", resource: resource)
            switch verb {
            case "watch":
                let timeout = call.query["timeoutSeconds"].flatMap { Int($0) }.map { Duration.seconds($0) }
                let watch = Watch(resource: resource, namespace: namespace, labels: labels, fields: fields, table: table,
                                  includeObject: call.query["includeObject"], bookmarks: call.query["allowWatchBookmarks"] == "true",
                                  timeout: timeout)
                return watch.response(store: store, resourceVersion: call.query["resourceVersion"])
            case "list":
                let (items, resourceVersion) = store.list(resource, namespace: namespace)
                let picked = items.filter { labels.matches($0["metadata"]["labels"].stringMap) && fields.matches($0) }
                if table { return Self.json(Tables.table(resource, picked, resourceVersion: resourceVersion, includeObject: call.query["includeObject"])) }
                return Self.json(["kind": .string(Discovery.resource(resource)!.listKind), "apiVersion": "v1",
                                  "metadata": ["resourceVersion": .string(String(resourceVersion))], "items": .array(picked)])
            case "create":
                guard let body, let object = JSON.parse(body) else {
                    throw .badRequest("the body of the request was in an unknown format - accepted media types include: application/json")
                }
                let created = try registry.create(resource, namespace: namespace ?? "default", body: object,
                                                  dryRun: call.query["dryRun"] == "All")
                return Self.json(created, status: 201)
            default:
                let options = Registry.DeleteOptions(body: body.flatMap { JSON.parse($0) }, query: call.query)
                return Self.json(registry.deleteCollection(resource, namespace: namespace ?? "default", labels: labels, fields: fields, options: options))
            }
        case .object(let resource, let namespace, let name):
            let key = ObjectKey(resource: resource, namespace: namespace ?? "", name: name)
            if verb == "patch" {
                guard let body, let patch = JSON.parse(body) else { throw .badRequest("the body of the request was in an unknown format") }
                return Self.json(try registry.patch(key, patch, contentType: contentType))
            }
            if verb == "delete" {
                let options = Registry.DeleteOptions(body: body.flatMap { JSON.parse($0) }, query: call.query)
                return Self.json(try registry.delete(key, options: options))
            }
            guard let object = store.get(key) else { throw .notFound(resource, name) }
            return Self.json(table ? Tables.table(resource, [object], resourceVersion: nil, includeObject: call.query["includeObject"]) : object)
        default:
            throw .noSuchResource
        }
    }

    /// Namespaces are implicit: the standard four and any that holds an object exist.
    private func namespaces(_ call: APIRequest, table: Bool) throws(APIError) -> Response {
        var names = Set(Discovery.standardNamespaces)
        for resource in ["pods", "services", "secrets"] {
            for item in store.list(resource, namespace: nil).items { names.insert(item["metadata"]["namespace"].string ?? "") }
        }
        let created = Timestamp.string(Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86400).rounded(.down) * 86400))
        if case .object(_, _, let name) = call.target {
            guard call.method == "GET" else { throw .methodNotAllowed }
            let namespace = Discovery.namespace(name, created: created)
            guard names.contains(name) else { throw .notFound("namespaces", name) }
            return Self.json(table ? Tables.table("namespaces", [namespace], resourceVersion: nil, includeObject: nil) : namespace)
        }
        guard call.verb == "list" else { throw .methodNotAllowed }
        let items = names.sorted().map { Discovery.namespace($0, created: created) }
        if table { return Self.json(Tables.table("namespaces", items, resourceVersion: store.resourceVersion, includeObject: nil)) }
        return Self.json(["kind": "NamespaceList", "apiVersion": "v1",
                          "metadata": ["resourceVersion": .string(String(store.resourceVersion))], "items": .array(items)])
    }

    static func json(_ value: JSON, status: Int = 200) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: value.text + "\n")))
    }
}
