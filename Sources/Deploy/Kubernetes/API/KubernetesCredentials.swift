import Foundation
import LoomCore
import Yams

/// Where the API server is and how to prove who we are, found as kubectl finds it: the current
/// context of `$KUBECONFIG` (the first of its files that exists) or `~/.kube/config`, else the
/// pod's service account when running inside the cluster.
public struct KubernetesCredentials: Sendable {
    public enum Token: Sendable {
        case fixed(String)
        /// Read again on every request (a service account's token is rotated in place).
        case file(String)
        /// Run a credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`) for an `ExecCredential`.
        case exec(ExecCredentialPlugin)
    }

    /// `https://HOST:PORT`, without a trailing slash.
    public var server: String
    public var namespace: String
    /// PEM; nil trusts the system's roots.
    public var certificateAuthority: [UInt8]?
    public var insecureSkipTLSVerify = false
    /// PEM client certificate and key, for clusters that authenticate by certificate.
    public var clientCertificate: [UInt8]?
    public var clientKey: [UInt8]?
    public var token: Token?
    /// Where these came from (`context kind-loom of /root/.kube/config`), for errors.
    public var origin: String

    public init(server: String, namespace: String = "default", certificateAuthority: [UInt8]? = nil, token: Token? = nil, origin: String = "code") {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.namespace = namespace
        self.certificateAuthority = certificateAuthority
        self.token = token
        self.origin = origin
    }

    /// As kubectl: `$KUBECONFIG`, `~/.kube/config`, then the in-cluster service account;
    /// `context` instead of the kubeconfig's current one. Of several `KUBECONFIG` files, the
    /// first that holds the context is read (kubectl merges them; Loom does not).
    public static func automatic(context: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> KubernetesCredentials
    {
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let files = list.split(separator: ":").map(String.init).filter { FileManager.default.fileExists(atPath: $0) }
            guard !files.isEmpty else { throw LoomError(.configuration, "KUBECONFIG names \(list), but no such file exists") }
            var problems: [String] = []
            for file in files {
                do { return try kubeconfig(file, context: context) } catch { problems.append("\(error)") }
            }
            throw LoomError(.configuration, "no file of KUBECONFIG holds a usable context (Loom reads one file, it does not merge them): \(problems.joined(separator: "; "))")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        if FileManager.default.fileExists(atPath: "\(home)/.kube/config") { return try kubeconfig("\(home)/.kube/config", context: context) }
        if let context { throw LoomError(.configuration, "no kubeconfig to take context \(context) from (KUBECONFIG or ~/.kube/config)") }
        if environment["KUBERNETES_SERVICE_HOST"] != nil { return try inCluster(environment: environment) }
        throw LoomError(.configuration, "no Kubernetes credentials: set KUBECONFIG, write ~/.kube/config, or run inside a pod with a service account")
    }

    /// The pod's service account: the API server from `KUBERNETES_SERVICE_HOST`/`_PORT`, the
    /// token, CA and namespace from `directory`.
    public static func inCluster(directory: String = "/var/run/secrets/kubernetes.io/serviceaccount",
                                 environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KubernetesCredentials {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"] else {
            throw LoomError(.configuration, "not inside a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
        }
        guard FileManager.default.fileExists(atPath: "\(directory)/token") else {
            throw LoomError(.configuration, "\(directory)/token does not exist: the pod has no service account token mounted (automountServiceAccountToken: false?)")
        }
        let namespace = (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let ca = FileManager.default.contents(atPath: "\(directory)/ca.crt").map(Array.init)
        return KubernetesCredentials(server: "https://\(host.contains(":") ? "[\(host)]" : host):\(port)", namespace: namespace ?? "default",
                                     certificateAuthority: ca, token: .file("\(directory)/token"), origin: "the pod's service account")
    }

    /// A kubeconfig file's `context` (by default its current one).
    public static func kubeconfig(_ path: String, context wanted: String? = nil) throws -> KubernetesCredentials {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw LoomError(.configuration, "cannot read the kubeconfig \(path)") }
        let config: KubernetesJSON
        do { config = try PodTemplate.parse(yaml: text, source: path) } catch { throw LoomError(.configuration, "\(error)") }
        let directory = (path as NSString).deletingLastPathComponent
        func named(_ section: String, _ name: String) throws -> KubernetesJSON {
            guard let entry = config[section]?.array?.first(where: { $0["name"]?.string == name }) else {
                throw LoomError(.configuration, "\(path): \(section) has no entry named \(name)")
            }
            return entry[String(section.dropLast())] ?? [:]
        }
        guard let contextName = wanted ?? config["current-context"]?.string, !contextName.isEmpty else {
            throw LoomError(.configuration, "\(path) has no current-context (kubectl config use-context NAME)")
        }
        let context = try named("contexts", contextName)
        guard let clusterName = context["cluster"]?.string else { throw LoomError(.configuration, "\(path): context \(contextName) names no cluster") }
        let cluster = try named("clusters", clusterName)
        guard let server = cluster["server"]?.string else { throw LoomError(.configuration, "\(path): cluster \(clusterName) has no server") }
        let origin = "context \(contextName) of \(path)"
        var credentials = KubernetesCredentials(server: server, namespace: context["namespace"]?.string ?? "default", origin: origin)
        credentials.certificateAuthority = try pem(cluster, "certificate-authority", relativeTo: directory, in: origin)
        credentials.insecureSkipTLSVerify = cluster["insecure-skip-tls-verify"]?.bool ?? false
        if let userName = context["user"]?.string {
            let user = try named("users", userName)
            credentials.clientCertificate = try pem(user, "client-certificate", relativeTo: directory, in: origin)
            credentials.clientKey = try pem(user, "client-key", relativeTo: directory, in: origin)
            if let token = user["token"]?.string {
                credentials.token = .fixed(token)
            } else if let file = user["tokenFile"]?.string {
                credentials.token = .file(resolve(file, relativeTo: directory))
            } else if let exec = user["exec"] {
                credentials.token = .exec(try ExecCredentialPlugin(exec, in: "\(origin), user \(userName)"))
            }
        }
        return credentials
    }

    /// `FIELD-data` (base64 PEM) or `FIELD` (a file).
    private static func pem(_ section: KubernetesJSON, _ field: String, relativeTo directory: String, in origin: String) throws -> [UInt8]? {
        if let data = section["\(field)-data"]?.string {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw LoomError(.configuration, "\(origin): \(field)-data is not base64")
            }
            return Array(decoded)
        }
        guard let file = section[field]?.string else { return nil }
        guard let contents = FileManager.default.contents(atPath: resolve(file, relativeTo: directory)) else {
            throw LoomError(.configuration, "\(origin): cannot read \(field) \(file)")
        }
        return Array(contents)
    }

    private static func resolve(_ file: String, relativeTo directory: String) -> String {
        file.hasPrefix("/") ? file : "\(directory)/\(file)"
    }

    /// The bearer token for the next request, if any.
    func currentToken() async throws -> String? {
        switch token {
        case nil: return nil
        case .fixed(let token): return token
        case .file(let path):
            guard let token = try? String(contentsOfFile: path, encoding: .utf8) else { throw LoomError(.configuration, "cannot read the token file \(path)") }
            return token.trimmingCharacters(in: .whitespacesAndNewlines)
        case .exec(let plugin): return try await plugin.token()
        }
    }
}
