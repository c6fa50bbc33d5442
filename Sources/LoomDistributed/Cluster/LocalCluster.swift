import CLoomSystem
import Foundation
import LoomCore

/// A scheduler in this process and workers on this machine: Dask's `LocalCluster`.
///
/// ```swift
/// let cluster = try await LocalCluster(workers: 4, threadsPerWorker: 2, memoryLimit: "2GB")
/// let client = try await Client(cluster)
/// cluster.adapt(minimum: 0, maximum: 8)
/// ```
/// Worker processes are started from this executable (its `main` must call
/// `Loom.bootstrap(registering:)` first), each under a nanny that restarts it, die with this
/// process, and exit when the scheduler closes; `processes: false` runs the workers in this
/// process instead.
public final class LocalCluster: Cluster {
    public let base: SpecCluster
    public let threadsPerWorker: Int
    public let memoryLimit: UInt64
    public let usesProcesses: Bool
    public let executable: String
    /// The memory thresholds of every worker (from the configuration: `worker.memory.*`).
    public let memoryFractions: WorkerMemoryFractions
    /// The TLS files of the worker processes, while the cluster runs with `security`.
    private let workerCredentials: CredentialFiles?

    /// - Parameters:
    ///   - workers: how many workers; by default as Dask chooses from the core count.
    ///   - threadsPerWorker: threads each; by default cores / workers.
    ///   - memoryLimit: per worker: "2GB", "2GiB", a fraction of the machine's memory, "auto"
    ///     (the default: the machine's memory / workers) or "none".
    ///   - processes: workers as processes (the default) or inside this process.
    ///   - executable: the worker executable; by default this one.
    ///   - dashboardAddress: where the dashboard listens (`":8787"`, `":0"` for a free port,
    ///     `nil` for none); a busy 8787 falls back to a free port. The dashboard is a scheduler
    ///     plugin that `Loom.bootstrap` installs.
    ///   - host: where the scheduler listens: 127.0.0.1, this machine only (as Dask's); an
    ///     interface's address or 0.0.0.0 opens it to other hosts.
    ///   - security: TLS on every connection (`Security.temporary()` makes one in memory);
    ///     `Client(cluster)` uses it too.
    ///   - plugins: scheduler plugins besides the process's defaults.
    ///   - resources: abstract resources every worker offers (`["GPU": 1]`), which tasks
    ///     submitted with `resources:` hold while they run (Dask's `resources=`).
    public init(workers: Int? = nil, threadsPerWorker: Int? = nil, memoryLimit: String? = nil, processes: Bool = true,
                executable: String? = nil, host: String = "127.0.0.1", schedulerPort: Int = 0,
                dashboardAddress: String? = ":8787", security: Security? = nil, plugins: [any SchedulerPlugin] = [],
                resources: [String: Double] = [:]) async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let (defaultWorkers, defaultThreads) = Self.defaultLayout(cores: cores)
        let count = workers ?? (threadsPerWorker.map { max(1, cores / $0) } ?? defaultWorkers)
        self.threadsPerWorker = threadsPerWorker ?? (workers.map { max(1, cores / $0) } ?? defaultThreads)
        self.memoryLimit = try MemoryLimit.bytes(memoryLimit ?? "auto", threads: self.threadsPerWorker, workers: count) ?? 0
        usesProcesses = processes
        memoryFractions = try Configuration.current.section(WorkerMemoryFractions.self)
        self.executable = executable ?? CurrentExecutable.path
        // As Dask's: without one in code, the configuration's (`comm.tls.*`), as clients and workers read it too.
        let security = try security ?? Security.configured(try Configuration.current)
        let credentials = try processes ? security.map { try CredentialFiles($0, role: .worker) } : nil
        workerCredentials = credentials
        let tasks = ClusterTasks()
        let launcher = LocalWorkerLauncher(
            threads: self.threadsPerWorker, memoryLimit: self.memoryLimit, memory: memoryFractions,
            processes: processes, executable: self.executable, security: security, tlsArguments: credentials?.arguments ?? [],
            resources: resources, tasks: tasks)
        do {
            base = try await SpecCluster(
                name: "local-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))", launcher: launcher,
                scheduler: SchedulerOptions(
                    host: host, port: schedulerPort, scheduling: .configured(try Configuration.current), dashboardAddress: dashboardAddress,
                    security: security),
                plugins: plugins, tasks: tasks)
        } catch {
            credentials?.remove()
            throw error
        }
        do {
            try await base.scale(count)
        } catch {
            let failure = nannies.compactMap(\.failure).first
            await close()
            if let failure {
                throw LoomError(.workerDied, "\(failure); does the main of \(self.executable) call Loom.bootstrap(registering:) first?")
            }
            throw error
        }
    }

    /// Dask's choice: up to 4 cores, one single-threaded worker per core; beyond, about √cores
    /// workers sharing the cores.
    static func defaultLayout(cores: Int) -> (workers: Int, threads: Int) {
        if cores <= 4 { return (cores, 1) }
        var workers = Int(Double(cores).squareRoot().rounded())
        while cores % workers != 0 { workers -= 1 }
        return (workers, cores / workers)
    }

    /// The nannies of the worker processes (none with `processes: false`).
    public var nannies: [Nanny] { base.launched.compactMap { ($0 as? SupervisedWorker)?.nanny } }

    /// Stops every worker and the scheduler, and removes the workers' TLS files.
    public func close() async {
        await base.close()
        workerCredentials?.remove()
    }

    deinit {
        for nanny in nannies { nanny.stop() }
    }
}

/// Starts each worker as a process of `executable` under a nanny in this process, or as a
/// worker inside this process.
struct LocalWorkerLauncher: WorkerLauncher {
    let threads: Int
    let memoryLimit: UInt64
    let memory: WorkerMemoryFractions
    let processes: Bool
    let executable: String
    let security: Security?
    /// `--tls-*` for worker processes.
    let tlsArguments: [String]
    var resources: [String: Double] = [:]
    /// The cluster's: nannies and in-process workers run there.
    let tasks: ClusterTasks
    var workersPerLaunch: Int { 1 }

    /// `--resources NAME=AMOUNT,…` for worker processes (none without resources).
    var resourceArguments: [String] {
        guard !resources.isEmpty else { return [] }
        return ["--resources", resources.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
    }

    func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers {
        if processes {
            // The worker dies with this process: the nanny arms that in its environment.
            let nanny = Nanny(
                name: name, executable: executable,
                arguments: [
                    "worker", scheduler.description, "--no-nanny", "--nthreads", "\(threads)",
                    "--memory-limit", "\(memoryLimit)", "--name", name,
                ] + resourceArguments + tlsArguments,
                memoryLimit: memoryLimit, memory: memory)
            return SupervisedWorker(nanny: nanny, supervision: tasks.start { await nanny.run() })
        }
        let options = WorkerOptions(
            scheduler: scheduler, name: name, threads: threads, memoryLimit: memoryLimit, security: security, resources: resources,
            memory: memory, supervised: true)
        return InProcessWorker(session: tasks.start {
            // A restart is a fresh worker in the same place.
            while !Task.isCancelled {
                do {
                    try await WorkerServer(options: options).run()
                    return
                } catch is WorkerServer.RestartRequested {
                    continue
                } catch {
                    return
                }
            }
        })
    }
}

/// A worker process under a nanny.
struct SupervisedWorker: LaunchedWorkers {
    let nanny: Nanny
    let supervision: ClusterTask
    var failure: String? { nanny.failure }

    func stop() async {
        nanny.stop()
        await supervision.value()
    }
}

/// A worker in this process.
struct InProcessWorker: LaunchedWorkers {
    let session: ClusterTask
    var failure: String? { nil }

    func stop() async { await session.stop() }
}
