import Foundation
import LoomCore
import LoomDistributed
import Synchronization

/// A kubeconfig user's `exec` credential plugin, as cloud providers configure it: a command that
/// prints an `ExecCredential` whose `status.token` authenticates us until its
/// `expirationTimestamp`. The token is kept until shortly before then.
public final class ExecCredentialPlugin: Sendable {
    public let command: String
    public let arguments: [String]
    public let environment: [String: String]
    let apiVersion: String
    let origin: String
    private let cached = Mutex<(token: String, expires: Date?)?>(nil)

    init(_ exec: KubernetesJSON, in origin: String) throws {
        guard let command = exec["command"]?.string else { throw LoomError(.configuration, "\(origin): exec has no command") }
        self.command = command
        arguments = exec["args"]?.array?.compactMap(\.string) ?? []
        environment = Dictionary(
            (exec["env"]?.array ?? []).compactMap { entry in entry["name"]?.string.map { ($0, entry["value"]?.string ?? "") } }) { _, last in last }
        apiVersion = exec["apiVersion"]?.string ?? "client.authentication.k8s.io/v1"
        self.origin = origin
    }

    func token() async throws -> String {
        if let cached = cached.withLock({ $0 }), cached.expires.map({ $0.timeIntervalSinceNow > 30 }) ?? true { return cached.token }
        let info: KubernetesJSON = ["apiVersion": .string(apiVersion), "kind": "ExecCredential", "spec": ["interactive": false]]
        let result = try await runCommandOffPool([command] + arguments, environment: environment.merging(
            ["KUBERNETES_EXEC_INFO": String(decoding: info.encoded(), as: UTF8.self)]) { $1 })
        guard result.status == 0 else {
            throw LoomError(.configuration, "the credential plugin \(command) of \(origin) failed (exit \(result.status)): \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let credential: KubernetesJSON
        do { credential = try KubernetesJSON(parsing: Data(result.output.utf8)) } catch {
            throw LoomError(.configuration, "the credential plugin \(command) of \(origin) printed no ExecCredential JSON: \(result.output.prefix(200))")
        }
        guard let token = credential.at("status.token")?.string else {
            let reason = credential.at("status.clientCertificateData") != nil
                ? "it returned a client certificate; Loom takes tokens from credential plugins (give client-certificate-data in the kubeconfig instead)"
                : "its ExecCredential has no status.token"
            throw LoomError(.configuration, "the credential plugin \(command) of \(origin): \(reason)")
        }
        // Kept until shortly before it expires; a timestamp that cannot be read keeps it not at all.
        if let stamp = credential.at("status.expirationTimestamp")?.string {
            let expires = (try? Date(stamp, strategy: .iso8601))
                ?? (try? Date(stamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            if let expires { cached.withLock { $0 = (token, expires) } }
        } else {
            cached.withLock { $0 = (token, nil) }
        }
        return token
    }
}
