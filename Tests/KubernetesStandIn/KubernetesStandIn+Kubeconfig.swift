import Foundation

extension KubernetesStandIn {
    /// Writes a kubeconfig for `user` (by default the first): the cluster with its
    /// `certificate-authority-data`, the user's bearer token, a context with `namespace`, and
    /// `current-context`; mode 0600, as kubectl would leave it. Returns its path (by default
    /// in `directory`).
    @discardableResult
    public func writeKubeconfig(user: String? = nil, namespace: String = "default", path: String? = nil) throws -> String {
        guard let account = user.map({ name in users.first { $0.name == name } }) ?? users.first else {
            throw StandInError("no user \(user ?? "") among the stand-in's users (\(users.map(\.name).joined(separator: ", ")))")
        }
        let file = path ?? "\(directory)/kubeconfig-\(account.name)-\(namespace)"
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: standin
              cluster:
                server: \(url)
                certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())
            users:
            - name: \(Self.quoted(account.name))
              user:
                token: \(Self.quoted(account.token))
            contexts:
            - name: standin
              context:
                cluster: standin
                user: \(Self.quoted(account.name))
                namespace: \(Self.quoted(namespace))
            current-context: standin
            preferences: {}

            """
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw StandInError("cannot write the kubeconfig \(file)")
        }
        return file
    }

    /// A YAML double-quoted scalar.
    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
