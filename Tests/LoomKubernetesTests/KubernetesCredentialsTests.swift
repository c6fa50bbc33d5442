import Foundation
import LoomCore
import Testing
@testable import LoomKubernetes

/// Credentials found as kubectl finds them, and errors worded for people.
struct KubernetesCredentialsTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-kube-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func kubeconfigCurrentContextWithTokenAndCAData() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).base64EncodedString()
        try """
            apiVersion: v1
            kind: Config
            current-context: work
            clusters:
            - name: prod
              cluster: {server: "https://10.0.0.1:6443/", certificate-authority-data: \(ca)}
            users:
            - name: me
              user: {token: abc123}
            - name: files
              user: {tokenFile: token.txt}
            contexts:
            - name: work
              context: {cluster: prod, user: me, namespace: science}
            - name: other
              context: {cluster: prod, user: files}
            """.write(toFile: "\(directory)/config", atomically: true, encoding: .utf8)
        try "from-file\n".write(toFile: "\(directory)/token.txt", atomically: true, encoding: .utf8)
        let work = try KubernetesCredentials.kubeconfig("\(directory)/config")
        #expect(work.server == "https://10.0.0.1:6443" && work.namespace == "science")
        #expect(work.certificateAuthority.map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("-----BEGIN CERTIFICATE-----") == true)
        guard case .fixed("abc123") = work.token else { Issue.record("token: \(String(describing: work.token))"); return }
        let other = try KubernetesCredentials.kubeconfig("\(directory)/config", context: "other")
        #expect(other.namespace == "default")
        #expect(try await other.currentToken() == "from-file", "a token file is read relative to the kubeconfig")
        let missing = try #require(throws: LoomError.self) { try KubernetesCredentials.kubeconfig("\(directory)/config", context: "nope") }
        #expect(missing.message.contains("contexts has no entry named nope"))
        let viaVariable = try KubernetesCredentials.automatic(environment: ["KUBECONFIG": "/nonexistent:\(directory)/config", "HOME": directory])
        #expect(viaVariable.origin == "context work of \(directory)/config")
    }

    @Test func execPluginsPrintAnExecCredential() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // As cloud providers' plugins: reads KUBERNETES_EXEC_INFO, prints status.token.
        try """
            #!/bin/sh
            case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) echo "no exec info" >&2; exit 1;; esac
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'"$1-$REGION"'","expirationTimestamp":"2999-01-01T00:00:00Z"}}'
            """.write(toFile: "\(directory)/plugin", atomically: true, encoding: .utf8)
        chmod("\(directory)/plugin", 0o755)
        try """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: \(directory)/plugin, args: [tok], env: [{name: REGION, value: eu}]}}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """.write(toFile: "\(directory)/config", atomically: true, encoding: .utf8)
        let credentials = try KubernetesCredentials.kubeconfig("\(directory)/config")
        #expect(try await credentials.currentToken() == "tok-eu")
        try "#!/bin/sh\necho denied >&2\nexit 4\n".write(toFile: "\(directory)/plugin", atomically: true, encoding: .utf8)
        chmod("\(directory)/plugin", 0o755)
        #expect(try await credentials.currentToken() == "tok-eu", "kept until it expires")
        let failing = try KubernetesCredentials.kubeconfig("\(directory)/config")
        let error = await #expect(throws: LoomError.self) { try await failing.currentToken() }
        #expect(error?.message.contains("failed (exit 4): denied") == true, "\(String(describing: error))")
    }

    @Test func inClusterServiceAccount() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "sa-token".write(toFile: "\(directory)/token", atomically: true, encoding: .utf8)
        try "jobs".write(toFile: "\(directory)/namespace", atomically: true, encoding: .utf8)
        let credentials = try KubernetesCredentials.inCluster(
            directory: directory, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"])
        #expect(credentials.server == "https://10.96.0.1:443" && credentials.namespace == "jobs")
        #expect(try await credentials.currentToken() == "sa-token")
        #expect(throws: LoomError.self) { try KubernetesCredentials.inCluster(directory: directory, environment: [:]) }
    }

    @Test func refusalsNameWhatWasAskedAndWhatTheServerSaid() {
        let body = Data(#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" is forbidden: User \"bob\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"lab\"","reason":"Forbidden","code":403}"#.utf8)
        let forbidden = KubernetesError(code: 403, body: body, verb: "get", resource: "pods/log", namespace: "lab", name: "x")
        #expect(forbidden.description.hasPrefix("pods/log get is forbidden in namespace lab: the client's Role needs verb \"get\" on resource \"pods/log\""))
        #expect(forbidden.description.contains("User \"bob\" cannot get"))
        let gone = KubernetesError(code: 404, body: Data("not json".utf8), verb: "delete", resource: "pods", namespace: "lab", name: "y")
        #expect(gone.isNotFound && gone.reason == "NotFound" && gone.description.contains("not json"))
    }
}
