import CLoomSystem
import Foundation
import LoomCore
import Synchronization

/// A scheduler in this process and workers on this machine: Dask's `LocalCluster`.
///
/// ```swift
/// let cluster = try await LocalCluster(workers: 4, threadsPerWorker: 2, memoryLimit: "2GB")
/// let client = try await Client(cluster)
/// ```
/// Worker processes are started from this executable (its `main` must call
/// `Loom.bootstrap(registering:)` first), die with this process, and exit when the scheduler
/// closes; `processes: false` runs the workers in this process instead.
public final class LocalCluster: Sendable {
    public let schedulerAddress: Address
    public let threadsPerWorker: Int
    public let memoryLimit: UInt64
    public let usesProcesses: Bool
    public let executable: String
    /// The memory thresholds of every worker (from the configuration: `worker.memory.*`).
    public let memoryFractions: WorkerMemoryFractions
    let name: String
    private let scheduler: SchedulerServer
    private let schedulerSession: Task<Void, Never>
    private let workers = Mutex<[Worker]>([])
    private let nextWorker = Atomic<Int>(0)

    private enum Worker: Sendable {
        /// A worker process under a nanny in this process, which restarts it when it dies.
        case process(nanny: Nanny, supervision: Task<Void, Never>)
        case inProcess(name: String, session: Task<Void, Never>)
        var name: String {
            switch self {
            case .process(let nanny, _): nanny.name
            case .inProcess(let name, _): name
            }
        }
    }

    /// - Parameters:
    ///   - workers: how many workers; by default as Dask chooses from the core count.
    ///   - threadsPerWorker: threads each; by default cores / workers.
    ///   - memoryLimit: per worker: "2GB", "2GiB", a fraction of the machine's memory, "auto"
    ///     (the default: the machine's memory / workers) or "none".
    ///   - processes: workers as processes (the default) or inside this process.
    ///   - executable: the worker executable; by default this one.
    public init(workers: Int? = nil, threadsPerWorker: Int? = nil, memoryLimit: String? = nil, processes: Bool = true,
                executable: String? = nil, host: String = "127.0.0.1", schedulerPort: Int = 0) async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let (defaultWorkers, defaultThreads) = Self.defaultLayout(cores: cores)
        let count = workers ?? (threadsPerWorker.map { max(1, cores / $0) } ?? defaultWorkers)
        self.threadsPerWorker = threadsPerWorker ?? (workers.map { max(1, cores / $0) } ?? defaultThreads)
        self.memoryLimit = try MemoryLimit.bytes(memoryLimit ?? "auto", threads: self.threadsPerWorker, workers: count) ?? 0
        usesProcesses = processes
        memoryFractions = try Configuration.current.workerMemory
        self.executable = executable ?? CurrentExecutable.path
        name = "local-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let server = SchedulerServer(options: SchedulerOptions(host: host, port: schedulerPort))
        scheduler = server
        let (bound, announce) = AsyncStream.makeStream(of: Result<Address, any Error>.self)
        schedulerSession = Task {
            do {
                try await server.run { announce.yield(.success($0)) }
            } catch {
                announce.yield(.failure(error))
            }
            announce.finish()
        }
        var iterator = bound.makeAsyncIterator()
        guard let address = try await iterator.next()?.get() else { throw TransportError("the scheduler stopped while starting") }
        schedulerAddress = address
        do {
            try await scale(count)
        } catch {
            await close()
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

    /// Names of the workers started and not stopped.
    public var workerNames: [String] { workers.withLock { $0.map(\.name) } }

    /// Starts or stops workers until there are `count`, and waits for the scheduler to see them.
    public func scale(_ count: Int) async throws {
        let current = workers.withLock { $0.count }
        if count < current {
            let retired = workers.withLock { list in
                defer { list.removeLast(current - count) }
                return Array(list.suffix(current - count))
            }
            for worker in retired { stop(worker) }
            await scheduler.forget(workers: retired.map(\.name))
            return
        }
        for _ in current..<count { try startWorker() }
        try await waitForWorkers(count)
    }

    private func startWorker() throws {
        let name = "\(self.name)-\(nextWorker.add(1, ordering: .relaxed).oldValue)"
        if usesProcesses {
            // The worker dies with this process: the nanny arms that in its environment.
            let nanny = Nanny(
                name: name, executable: executable,
                arguments: [
                    "worker", schedulerAddress.description, "--no-nanny", "--nthreads", "\(threadsPerWorker)",
                    "--memory-limit", "\(memoryLimit)", "--name", name,
                ],
                memoryLimit: memoryLimit, memory: memoryFractions)
            let supervision = Task { await nanny.run() }
            workers.withLock { $0.append(.process(nanny: nanny, supervision: supervision)) }
        } else {
            let options = WorkerOptions(
                scheduler: schedulerAddress, name: name, threads: threadsPerWorker, memoryLimit: memoryLimit, memory: memoryFractions)
            let session = Task { _ = try? await WorkerServer(options: options).run() }
            workers.withLock { $0.append(.inProcess(name: name, session: session)) }
        }
    }

    private func waitForWorkers(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while await scheduler.workerCount < count {
            for case .process(let nanny, _) in workers.withLock({ $0 }) {
                guard let failure = nanny.failure else { continue }
                throw LoomError(.workerDied, "\(failure); does the main of \(executable) call Loom.bootstrap(registering:) first?")
            }
            guard ContinuousClock.now < deadline else {
                throw LoomError(.workerDied, "only \(await scheduler.workerCount) of \(count) workers joined within 60 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private func stop(_ worker: Worker) {
        switch worker {
        case .process(let nanny, _):
            nanny.stop()
        case .inProcess(_, let session):
            session.cancel()
        }
    }

    /// Stops every worker and the scheduler; no process is left behind.
    public func close() async {
        let all = workers.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for worker in all { stop(worker) }
        for case .process(_, let supervision) in all { await supervision.value }
        schedulerSession.cancel()
        await schedulerSession.value
    }

    /// The nannies of the worker processes (none with `processes: false`).
    public var nannies: [Nanny] {
        workers.withLock { $0.compactMap { if case .process(let nanny, _) = $0 { nanny } else { nil } } }
    }

    deinit {
        for case .process(let nanny, _) in workers.withLock({ $0 }) { nanny.stop() }
        schedulerSession.cancel()
    }
}

extension Client {
    /// A client of the cluster's scheduler.
    public convenience init(_ cluster: LocalCluster) async throws {
        try await self.init(address: cluster.schedulerAddress)
    }
}
