import Foundation
import LoomCore

/// A role's TLS material as files for the processes a cluster starts (`--tls-ca-file`,
/// `--tls-cert`, `--tls-key`): the files it was read from, or, for certificates made in memory,
/// copies in a directory only this user can read, removed when the cluster closes (or this
/// process ends).
public final class CredentialFiles: Sendable {
    /// The flags that hand the files to a worker or scheduler process.
    public let arguments: [String]
    private let directory: String?
    private let cleanup: Int?

    /// - Parameter base: where a directory for in-memory material goes (a shared file system
    ///   for batch jobs); by default the system's temporary directory.
    public init(_ security: Security, role: Security.Role, base: String? = nil) throws {
        guard let credential = security.credentials[role] else {
            throw LoomError(.configuration, "the cluster's TLS settings have no certificate and key for the \(role)")
        }
        if let flags = security.fileFlags(for: role) {
            arguments = flags
            directory = nil
            cleanup = nil
            return
        }
        let directory = "\(base ?? FileManager.default.temporaryDirectory.path)/loom-tls-\(ProcessInfo.processInfo.processIdentifier)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            func write(_ pem: Security.PEM, _ name: String, what: String) throws -> String {
                let path = "\(directory)/\(name)"
                guard manager.createFile(atPath: path, contents: Data(try Security.text(of: pem, what: what).utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw LoomError(.configuration, "cannot write \(path)")
                }
                return path
            }
            arguments = Security.flags(
                caFile: try write(security.authority, "ca.pem", what: "CA certificate"),
                certificate: try write(credential.certificate, "\(role).pem", what: "\(role) certificate"),
                key: try write(credential.key, "\(role).key", what: "\(role) key"))
        } catch {
            try? manager.removeItem(atPath: directory)
            throw LoomError(.configuration, "cannot write the cluster's TLS files to \(directory): \(error)")
        }
        self.directory = directory
        // At exit only: signals stay the program's (and a job-queue cluster's) to handle.
        cleanup = CleanupAtExit.shared.add(onSignals: false) { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Removes the copies (the files named by the user stay).
    public func remove() {
        guard let directory else { return }
        try? FileManager.default.removeItem(atPath: directory)
        if let cleanup { CleanupAtExit.shared.remove(cleanup) }
    }
}
