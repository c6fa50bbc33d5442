import Foundation
import LoomDistributed
import Synchronization

/// Starts each launch's workers on the next worker host in turn, as `EXECUTABLE worker …` through
/// ssh (the workers under their nannies, as `loom worker` runs them).
final class SSHWorkerLauncher: WorkerLauncher {
    let hosts: [String]
    let executable: String
    let options: SSHWorkerOptions
    let ssh: SSHConnectOptions
    /// `--tls-*` flags naming the worker's files on the hosts.
    let tlsArguments: [String]
    private let launches = Atomic<Int>(0)

    init(hosts: [String], executable: String, options: SSHWorkerOptions, ssh: SSHConnectOptions, tlsArguments: [String]) {
        self.hosts = hosts
        self.executable = executable
        self.options = options
        self.ssh = ssh
        self.tlsArguments = tlsArguments
    }

    var workersPerLaunch: Int { max(1, options.workersPerHost) }

    func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers {
        let host = hosts[launches.add(1, ordering: .relaxed).oldValue % hosts.count]
        var command = [
            executable, "worker", scheduler.description, "--name", name, "--nworkers", "\(workersPerLaunch)",
            "--memory-limit", options.memoryLimit, "--stop-when-stdin-closes",
        ]
        if let threads = options.threads { command += ["--nthreads", "\(threads)"] }
        command += tlsArguments + options.extraArguments
        return SSHWorkers(remote: try RemoteProcess(host: host, command: command, ssh: ssh))
    }
}

/// A host's workers, alive while their ssh session is.
struct SSHWorkers: LaunchedWorkers {
    let remote: RemoteProcess
    var failure: String? { remote.failure }
    var hasEnded: Bool { !remote.isRunning }
    func stop() async { await remote.stop() }
}
