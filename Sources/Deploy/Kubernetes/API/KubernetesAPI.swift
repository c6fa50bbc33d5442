import AsyncHTTPClient
import Foundation
import LoomCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// The resources a cluster makes, all in the core API group.
public enum KubernetesResource: String, Sendable {
    case pods, services, secrets
}

/// One event of a watch stream.
public struct WatchEvent: Sendable {
    /// ADDED, MODIFIED, DELETED or BOOKMARK (an ERROR arrives as a thrown `KubernetesError`).
    public let type: String
    public let object: KubernetesJSON
}

/// The REST calls a cluster needs (create, get, list, watch, delete; pod logs), over
/// async-http-client with the credentials' TLS and token. Errors are `KubernetesError`s naming
/// what was asked and what the server said.
public final class KubernetesAPI: Sendable {
    public let credentials: KubernetesCredentials
    private let http: HTTPClient

    public init(credentials: KubernetesCredentials) throws {
        self.credentials = credentials
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = credentials.certificateAuthority { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca)) }
            if let certificate = credentials.clientCertificate, let key = credentials.clientKey {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw LoomError(.configuration, "the TLS settings of \(credentials.origin) are not usable PEM: \(error)")
        }
        if credentials.insecureSkipTLSVerify { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        // A watch is quiet at most until its timeoutSeconds (bookmarks come every minute or
        // so): a connection silent for longer is dead, not idle.
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(Int64(Self.watchSeconds + 30)))
        configuration.decompression = .enabled(limit: .none)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async { try? await http.shutdown() }

    /// Shuts down without waiting (for a deinit).
    func shutdownDetached() { http.shutdown { _ in } }

    /// How long one watch request lasts before it is made again from the last version.
    public static let watchSeconds = 300

    public var namespace: String { credentials.namespace }

    // MARK: Objects

    public func create(_ resource: KubernetesResource, _ object: KubernetesJSON, namespace: String? = nil) async throws -> KubernetesJSON {
        let namespace = namespace ?? self.namespace
        return try await send(.POST, collection(resource, namespace), body: object, verb: "create", resource: resource.rawValue,
                              namespace: namespace, name: object.at("metadata.name")?.string)
    }

    public func get(_ resource: KubernetesResource, _ name: String, namespace: String? = nil) async throws -> KubernetesJSON {
        let namespace = namespace ?? self.namespace
        return try await send(.GET, collection(resource, namespace) + "/" + name, verb: "get", resource: resource.rawValue, namespace: namespace, name: name)
    }

    /// Deletes one object; false when it was already gone (a 404 counts as done).
    @discardableResult
    public func delete(_ resource: KubernetesResource, _ name: String, namespace: String? = nil, gracePeriodSeconds: Int? = nil) async throws -> Bool {
        let namespace = namespace ?? self.namespace
        let body: KubernetesJSON? = gracePeriodSeconds.map { ["kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": .int($0)] }
        do {
            _ = try await send(.DELETE, collection(resource, namespace) + "/" + name, body: body, verb: "delete",
                               resource: resource.rawValue, namespace: namespace, name: name)
            return true
        } catch let error as KubernetesError where error.isNotFound {
            return false
        }
    }

    /// The objects matching `labelSelector`, and the list's resourceVersion to watch from.
    public func list(_ resource: KubernetesResource, labelSelector: String? = nil, namespace: String? = nil) async throws
        -> (items: [KubernetesJSON], resourceVersion: String)
    {
        let namespace = namespace ?? self.namespace
        let list = try await send(.GET, collection(resource, namespace), query: labelSelector.map { [("labelSelector", $0)] } ?? [],
                                  verb: "list", resource: resource.rawValue, namespace: namespace, name: nil)
        return (list["items"]?.array ?? [], list.at("metadata.resourceVersion")?.string ?? "")
    }

    /// A pod's log (its main container's unless `container` names another).
    public func log(pod: String, container: String? = nil, tailLines: Int? = nil, namespace: String? = nil) async throws -> String {
        let namespace = namespace ?? self.namespace
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if let tailLines { query.append(("tailLines", "\(tailLines)")) }
        let (_, body) = try await exchange(.GET, collection(.pods, namespace) + "/\(pod)/log", query: query, body: nil,
                                           verb: "get", resource: "pods/log", namespace: namespace, name: pod)
        return String(decoding: body, as: UTF8.self)
    }

    /// Changes after `resourceVersion`, as they happen; ends when the server closes the stream
    /// (watch again from the last version seen) and throws a `KubernetesError` for an ERROR event
    /// (`isGone`: list again).
    public func watch(_ resource: KubernetesResource, labelSelector: String? = nil, resourceVersion: String,
                      timeoutSeconds: Int = watchSeconds, namespace: String? = nil) -> AsyncThrowingStream<WatchEvent, any Error> {
        let namespace = namespace ?? self.namespace
        let query = [("watch", "1"), ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"), ("timeoutSeconds", "\(timeoutSeconds)")]
            + (labelSelector.map { [("labelSelector", $0)] } ?? [])
        let path = collection(resource, namespace)
        return AsyncThrowingStream { continuation in
            // Unstructured: the stream is returned to a caller that iterates it later; the
            // task ends when the stream is dropped (onTermination).
            let task = Task {
                do {
                    let response = try await self.open(.GET, path, query: query, body: nil, verb: "watch", resource: resource.rawValue, namespace: namespace, name: nil)
                    var pending = ByteBuffer()
                    for try await chunk in response.body {
                        pending.writeImmutableBuffer(chunk)
                        while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                            let line = pending.readSlice(length: newline - pending.readerIndex + 1)!
                            guard line.readableBytes > 1 else { continue }
                            let event = try KubernetesJSON(parsing: Data(line.readableBytesView))
                            let type = event["type"]?.string ?? ""
                            if type == "ERROR" {
                                throw KubernetesError(status: event["object"] ?? [:], verb: "watch", resource: resource.rawValue, namespace: namespace)
                            }
                            continuation.yield(WatchEvent(type: type, object: event["object"] ?? [:]))
                        }
                        pending.discardReadBytes()
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: HTTP

    private func collection(_ resource: KubernetesResource, _ namespace: String) -> String {
        "/api/v1/namespaces/\(namespace)/\(resource.rawValue)"
    }

    private func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: KubernetesJSON? = nil,
                      verb: String, resource: String, namespace: String, name: String?) async throws -> KubernetesJSON {
        let (response, data) = try await exchange(method, path, query: query, body: body, verb: verb, resource: resource, namespace: namespace, name: name)
        do {
            return try KubernetesJSON(parsing: data)
        } catch {
            throw KubernetesError(code: Int(response.status.code), reason: "BadResponse", message: "the answer is not JSON: \(String(decoding: data.prefix(200), as: UTF8.self))",
                                  verb: verb, resource: resource, namespace: namespace, name: name)
        }
    }

    private func exchange(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: KubernetesJSON?,
                          verb: String, resource: String, namespace: String, name: String?) async throws -> (HTTPClientResponse, Data) {
        let response = try await open(method, path, query: query, body: body, verb: verb, resource: resource, namespace: namespace, name: name)
        let data = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        return (response, data)
    }

    /// Sends the request; returns the response once its head says success, else throws the
    /// server's Status as a `KubernetesError`.
    private func open(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: KubernetesJSON?,
                      verb: String, resource: String, namespace: String, name: String?) async throws -> HTTPClientResponse {
        var components = URLComponents()
        components.path = path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // URLComponents leaves "+" alone, which the API server (Go's query parser) reads as a space.
        let target = (components.percentEncodedPath) + (components.percentEncodedQuery.map {
            "?" + $0.replacingOccurrences(of: "+", with: "%2B")
        } ?? "")
        var request = HTTPClientRequest(url: credentials.server + target)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "loom")
        if let token = try await credentials.currentToken() { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.encoded()))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(30))
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw KubernetesError(code: 0, reason: "NoAnswer", message: "the API server \(credentials.server) gave no answer within 30 s (the request may have taken effect)",
                                  verb: verb, resource: resource, namespace: namespace, name: name)
        } catch {
            throw KubernetesError(code: 0, reason: "Unreachable", message: "cannot reach the API server \(credentials.server) (\(credentials.origin)): \(error)",
                                  verb: verb, resource: resource, namespace: namespace, name: name)
        }
        guard (200..<300).contains(response.status.code) else {
            let data = Data(((try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()).readableBytesView)
            throw KubernetesError(code: Int(response.status.code), body: data, verb: verb, resource: resource, namespace: namespace, name: name)
        }
        return response
    }
}
