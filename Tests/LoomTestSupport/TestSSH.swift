import Foundation
import Loom

/// Real OpenSSH servers (Debian's openssh-server) on test hosts, and the client configuration
/// that reaches them: a key pair, host keys and known hosts of the test's own, in a directory
/// removed afterwards.
public struct TestSSH: Sendable {
    public let directory: String
    /// For `ssh -F`: root, the test's key, its own known-hosts file.
    public let clientConfig: String

    public static let sshd = "/usr/sbin/sshd"

    /// Why sshd cannot be run here, or nil when it can.
    public static var unavailableReason: String? {
        if let reason = TestNetwork.unavailableReason { return reason }
        guard FileManager.default.isExecutableFile(atPath: sshd) else { return "openssh-server is not installed (scripts/install-test-dependencies)" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen") else { return "ssh-keygen is not installed" }
        return nil
    }

    /// Starts sshd on each of `hosts` (on their address, port 22), waiting until each listens.
    public init(on hosts: [String], in network: TestNetwork) async throws {
        directory = "\(network.directory)/ssh"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // sshd refuses to start without its privilege-separation directory.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for key in ["host_key", "id_ed25519"] {
            let made = try await runProcess("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", "\(directory)/\(key)"])
            guard made.status == 0 else { throw LoomError(.configuration, "ssh-keygen failed: \(made.error)") }
        }
        try FileManager.default.copyItem(atPath: "\(directory)/id_ed25519.pub", toPath: "\(directory)/authorized_keys")
        clientConfig = "\(directory)/ssh_config"
        try """
            Host *
              User root
              IdentityFile \(directory)/id_ed25519
              IdentitiesOnly yes
              UserKnownHostsFile \(directory)/known_hosts
              StrictHostKeyChecking accept-new
              ConnectTimeout 10
              LogLevel ERROR

            """.write(toFile: clientConfig, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: clientConfig)
        for host in hosts {
            let config = "\(directory)/sshd_config-\(host)"
            try """
                ListenAddress \(network.host(host).address)
                Port 22
                HostKey \(directory)/host_key
                AuthorizedKeysFile \(directory)/authorized_keys
                PermitRootLogin prohibit-password
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                PidFile \(directory)/sshd-\(host).pid
                LogLevel INFO

                """.write(toFile: config, atomically: true, encoding: .utf8)
            // Under a shell that waits for it: sshd closes every descriptor it inherits, which
            // Foundation's Process takes for an exit (and then blocks reaping it, so that no
            // other process's end would be noticed); the shell keeps them open.
            let server = try network.start("/bin/sh", ["-c", "\(Self.sshd) -D -e -f \(config) & wait"], on: host)
            _ = try await server.line(after: "Server listening on \(network.host(host).address) port 22", timeout: .seconds(30))
        }
    }
}
