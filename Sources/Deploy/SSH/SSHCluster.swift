import Foundation
import LoomDistributed
import LoomCore

/// A scheduler on the first host and workers on the others, started through OpenSSH (Dask's
/// `SSHCluster`).
///
/// ```swift
/// let cluster = try await SSHCluster(hosts: ["node1", "node2", "node3"],
///                                    connect: SSHConnectOptions(user: "me"),
///                                    workers: SSHWorkerOptions(threads: 8, memoryLimit: "16GB"))
/// let client = try await Client(cluster)
/// ```
/// The processes run this program's executable (its `main` calls `Loom.bootstrap` first), found
/// at the same path on every host, as Dask needs the same environment everywhere: it serves as
/// `scheduler` on the first host and `worker` on the others. `scale` and `adapt` add workers on
/// the worker hosts in turn; `close()` stops every remote process. Each remote process stops
/// when its ssh session ends, so a lost connection (or this program ending) leaves nothing behind.
public final class SSHCluster: Cluster {
    public let base: SpecCluster
    public let hosts: [String]
    private let scheduler: RemoteProcess
    private let client: Client
    private let credentials: RemoteCredentials?

    /// - Parameters:
    ///   - hosts: the scheduler's host first, then the workers' (a host may appear in both).
    ///   - connect: how ssh reaches the hosts (user, port, identity file, more ssh arguments).
    ///   - workers: what each host runs (`SSHWorkerOptions`); `scale(n)` later changes how many.
    ///   - scheduler: the scheduler's port, dashboard and more arguments.
    ///   - executable: the program on the hosts; by default this one's path.
    ///   - security: TLS for every connection; files are named by the same path on every host,
    ///     certificates made in memory (`Security.temporary()`) are copied to each host into a
    ///     directory only the user can read, removed by `close()`.
    public init(hosts: [String], connect: SSHConnectOptions = SSHConnectOptions(), workers: SSHWorkerOptions = SSHWorkerOptions(),
                scheduler schedulerOptions: SSHSchedulerOptions = SSHSchedulerOptions(), executable: String? = nil,
                security: Security? = nil) async throws {
        guard hosts.count >= 2 else {
            throw LoomError(.configuration, "SSHCluster needs at least two hosts: the scheduler's first, then one or more for workers")
        }
        self.hosts = hosts
        let executable = executable ?? CurrentExecutable.path
        let name = "ssh-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let security = try security ?? Security.configured(try Configuration.current)
        let credentials = try security.map { try RemoteCredentials($0, hosts: Array(Set(hosts)).sorted(), ssh: connect, name: name) }
        // Both roles' flags first: a Security without them fails before anything starts.
        let schedulerTLS = try credentials?.arguments(for: .scheduler) ?? []
        let workerTLS = try credentials?.arguments(for: .worker) ?? []
        self.credentials = credentials
        do {
            try await credentials?.copy()
            var command = [executable, "scheduler", "--port", "\(schedulerOptions.port)", "--dashboard-address",
                           schedulerOptions.dashboardAddress ?? "none", "--stop-when-stdin-closes"]
            command += schedulerTLS + schedulerOptions.extraArguments
            scheduler = try RemoteProcess(host: hosts[0], command: command, ssh: connect)
        } catch {
            await credentials?.remove()
            throw error
        }
        let address: Address
        do {
            address = try Address(parsing: try await scheduler.line(after: "Scheduler at: ", timeout: .seconds(60)))
            client = try await Client(address: address, security: security, setAsDefault: false)
        } catch {
            await scheduler.stop()
            await credentials?.remove()
            throw LoomError(.configuration, "the scheduler on \(hosts[0]) did not start: \(error)")
        }
        let launcher = SSHWorkerLauncher(
            hosts: Array(hosts.dropFirst()), executable: executable, options: workers, ssh: connect, tlsArguments: workerTLS)
        base = SpecCluster(name: name, launcher: launcher, running: RemoteScheduler(client: client), at: address)
        do {
            try await base.scale((hosts.count - 1) * max(1, workers.workersPerHost))
        } catch {
            await close()
            throw error
        }
    }

    /// Stops the workers (their ssh sessions end; they leave the scheduler), then the scheduler,
    /// and removes copied certificates: no remote process stays.
    public func close() async {
        await base.close()
        await client.close()
        await scheduler.stop()
        await credentials?.remove()
    }
}

/// TLS material on the cluster's hosts: the files the user named (the same path everywhere), or
/// copies of certificates made in memory, written over ssh into `/tmp/loom-tls-NAME` (mode 700).
struct RemoteCredentials: Sendable {
    let security: Security
    let hosts: [String]
    let ssh: SSHConnectOptions
    let directory: String

    init(_ security: Security, hosts: [String], ssh: SSHConnectOptions, name: String) throws {
        self.security = security
        self.hosts = hosts
        self.ssh = ssh
        directory = "/tmp/loom-tls-\(name)"
    }

    /// Whether some role's material is in memory, so every host needs copies.
    private var inMemory: Bool { security.credentials.keys.contains { security.fileFlags(for: $0) == nil } }

    /// The `--tls-*` flags for `role`'s processes.
    func arguments(for role: Security.Role) throws -> [String] {
        guard security.credentials[role] != nil else {
            throw LoomError(.configuration, "the cluster's Security has no certificate for the \(role)")
        }
        if !inMemory, let flags = security.fileFlags(for: role) { return flags }
        return Security.flags(caFile: "\(directory)/ca.pem", certificate: "\(directory)/\(role).pem", key: "\(directory)/\(role).key")
    }

    /// Writes the copies on every host: one ssh session each, the files in its standard input,
    /// split by `### NAME` lines.
    func copy() async throws {
        guard inMemory else { return }
        var bundle = "### ca.pem\n" + (try Security.text(of: security.authority, what: "CA certificate"))
        for (role, credential) in security.credentials.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            bundle += "\n### \(role).pem\n" + (try Security.text(of: credential.certificate, what: "\(role) certificate"))
            bundle += "\n### \(role).key\n" + (try Security.text(of: credential.key, what: "\(role) key"))
        }
        // An existing directory is used only if it is this user's own and not a link (hosts may
        // share /tmp); one someone else made first is refused, not written into.
        let script = """
            umask 077 && { mkdir -m 700 \(directory) 2>/dev/null || { [ -d \(directory) ] && [ ! -L \(directory) ] && [ -O \(directory) ]; }; } \
            && chmod 700 \(directory) && cd \(directory) && awk '/^### /{f=$2; next} f{print > f}'
            """
        for host in hosts {
            let copying = try RemoteProcess(host: host, command: ["sh", "-c", script], ssh: ssh, input: Data((bundle + "\n").utf8))
            await copying.stop(grace: .seconds(30))
            if copying.exitStatus != 0 {
                throw LoomError(.configuration, "cannot copy the TLS certificates to \(host): \(copying.failure ?? "")")
            }
        }
    }

    func remove() async {
        guard inMemory else { return }
        for host in hosts {
            let removing = try? RemoteProcess(host: host, command: ["rm", "-rf", directory], ssh: ssh)
            await removing?.stop(grace: .seconds(10))
        }
    }
}
