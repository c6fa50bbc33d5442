import Foundation
import LoomDistributed

/// How SSHCluster reaches its hosts: the system's OpenSSH client, so `~/.ssh/config`, agents,
/// `ProxyJump` and known hosts work as for any `ssh` (Dask's `connect_options`).
public struct SSHConnectOptions: Sendable {
    /// The remote user (`ssh -l`); by default ssh's choice (`~/.ssh/config`, or this user).
    public var user: String?
    /// The remote port (`ssh -p`); by default ssh's choice.
    public var port: Int?
    /// A private key file (`ssh -i`).
    public var identityFile: String?
    /// More arguments for ssh, before the host: `["-F", "cluster_config"]`, `["-J", "bastion"]`.
    public var extraArguments: [String]
    /// The ssh client; by default `ssh` on the PATH.
    public var executable: String?

    public init(user: String? = nil, port: Int? = nil, identityFile: String? = nil, extraArguments: [String] = [], executable: String? = nil) {
        self.user = user
        self.port = port
        self.identityFile = identityFile
        self.extraArguments = extraArguments
        self.executable = executable
    }

    /// ssh's arguments up to the host: never a password prompt (it would hang unseen), and
    /// keep-alives so a dead link ends the session within about 15 s.
    func arguments(host: String) -> [String] {
        var arguments = ["-o", "BatchMode=yes", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
        if let user { arguments += ["-l", user] }
        if let port { arguments += ["-p", "\(port)"] }
        if let identityFile { arguments += ["-i", identityFile] }
        return arguments + extraArguments + [host]
    }

    var sshPath: String {
        if let executable { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/ssh") {
            return "\(directory)/ssh"
        }
        return "/usr/bin/ssh"
    }
}

/// The workers SSHCluster starts on each host (Dask's `worker_options`).
public struct SSHWorkerOptions: Sendable {
    /// Worker processes per host, each under its own nanny.
    public var workersPerHost: Int
    /// Threads per worker; by default the host's cores / workersPerHost.
    public var threads: Int?
    /// Per worker: "4GB", a fraction of the host's memory, "auto" (the default) or "none".
    public var memoryLimit: String
    /// More `worker` arguments: `["--resources", "GPU=1"]`, `["--interface", "ib0"]`.
    public var extraArguments: [String]

    public init(workersPerHost: Int = 1, threads: Int? = nil, memoryLimit: String = "auto", extraArguments: [String] = []) {
        self.workersPerHost = workersPerHost
        self.threads = threads
        self.memoryLimit = memoryLimit
        self.extraArguments = extraArguments
    }
}

/// The scheduler SSHCluster starts on the first host (Dask's `scheduler_options`).
public struct SSHSchedulerOptions: Sendable {
    public var port: Int
    /// `":8787"`, `":0"` for a free port, or nil for no dashboard.
    public var dashboardAddress: String?
    /// More `scheduler` arguments: `["--interface", "eth1"]`.
    public var extraArguments: [String]

    public init(port: Int = 8786, dashboardAddress: String? = ":8787", extraArguments: [String] = []) {
        self.port = port
        self.dashboardAddress = dashboardAddress
        self.extraArguments = extraArguments
    }
}
