import CLoomSystem
import Foundation
import ServiceLifecycle
import LoomCore
import Logging
import Synchronization

/// Supervises one worker process, like Dask's `Nanny`: starts it, starts it again when it dies,
/// kills it when its memory passes the terminate fraction, and gives numeric libraries one
/// thread each in it (the worker's own threads are the parallelism).
///
/// A worker that exits with status 0 left on purpose (its scheduler went away): the nanny stops
/// too. A worker that keeps exiting with an error within seconds of starting (a bad command
/// line, a missing `Loom.bootstrap`) is given up after three tries, with the reason, rather than
/// restarted forever; deaths by signal (a crash, the memory killer, `SIGKILL`) always restart.
public final class Nanny: Service, Sendable {
    public let name: String
    let executable: String
    let arguments: [String]
    /// Resident bytes at which the worker is killed and restarted; `nil` never.
    let terminateAt: UInt64?
    private let state = Mutex<State>(State())
    private let logger = Logger.loom("loom.nanny")

    private struct State: @unchecked Sendable {
        var process: Process?
        var stopping = false
        var restarts = 0
        var failure: String?
    }

    /// - Parameters:
    ///   - arguments: the worker's command line after the executable (`worker tcp://… --no-nanny …`).
    public init(name: String, executable: String, arguments: [String], memoryLimit: UInt64,
                memory: WorkerMemoryFractions = WorkerMemoryFractions()) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        terminateAt = memoryLimit > 0 ? memory.terminate.map { UInt64(Double(memoryLimit) * $0) } : nil
    }

    /// How many times the worker was started again.
    public var restarts: Int { state.withLock { $0.restarts } }
    /// Why the nanny gave up, if it did.
    public var failure: String? { state.withLock { $0.failure } }
    /// The worker process running now.
    public var processIdentifier: Int32? { state.withLock { $0.process.map(\.processIdentifier) } }

    /// Set to 1 in a supervised worker's environment: it may stop for a restart.
    public static let supervisedVariable = "LOOM_SUPERVISED"

    /// What the worker's environment adds to this process's.
    static func workerEnvironment(parent: Int32) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for variable in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"]
        where environment[variable] == nil {
            environment[variable] = "1"
        }
        // Freed buffers go back to the system promptly, so a spill lowers resident memory: trim
        // the heap early (Dask sets the same), and keep large buffers in their own mappings (a
        // fixed threshold stops glibc from raising it and serving them from a heap it cannot shrink).
        environment["MALLOC_TRIM_THRESHOLD_"] = environment["MALLOC_TRIM_THRESHOLD_"] ?? "65536"
        environment["MALLOC_MMAP_THRESHOLD_"] = environment["MALLOC_MMAP_THRESHOLD_"] ?? "1048576"
        environment[CLOOM_DIE_WITH_PARENT] = String(parent)
        environment[supervisedVariable] = "1"
        // As quiet (or not) as the process that started it.
        environment[LoomLogging.variable] = environment[LoomLogging.variable] ?? LoomLogging.outputLevel.rawValue
        return environment
    }

    /// Starts the worker and keeps it running until `stop()` or a graceful shutdown
    /// (ServiceLifecycle), it leaves on purpose, or it keeps failing at start-up.
    public func run() async {
        await withGracefulShutdownHandler {
            await keepWorkerRunning()
        } onGracefulShutdown: {
            self.stop()
        }
    }

    private func keepWorkerRunning() async {
        var quickFailures = 0
        supervision: while !state.withLock({ $0.stopping }) {
            let started = ContinuousClock.now
            let process: Process
            do {
                process = try launch()
            } catch {
                state.withLock { $0.failure = "cannot start \(executable): \(error)" }
                break
            }
            let outcome = await supervise(process)
            if state.withLock({ $0.stopping }) { break }
            switch outcome {
            case .exited(0):
                logger.info("worker left; the nanny stops too", metadata: ["worker.name": "\(name)"])
                return
            case .exited(WorkerServer.RestartRequested.exitStatus):
                logger.info("restarting the worker at the scheduler's request", metadata: ["worker.name": "\(name)"])
                state.withLock { $0.restarts += 1 }
                continue supervision
            case .exited(WorkerServer.SchedulerUnreachable.exitStatus):
                state.withLock { $0.failure = "worker \(name) found no scheduler within its death timeout" }
                break supervision
            case .exited(let status):
                logger.warning("worker died; restarting it", metadata: ["worker.name": "\(name)", "status": "\(status)"])
            case .signalled(let signal):
                logger.warning("worker killed by a signal; restarting it", metadata: ["worker.name": "\(name)", "signal": "\(signal)"])
            case .terminated(let bytes):
                logger.warning("worker memory passed the terminate fraction; restarting it",
                               metadata: ["worker.name": "\(name)", "process.bytes": "\(bytes)", "terminate.bytes": "\(terminateAt ?? 0)"])
            }
            if case .exited = outcome, ContinuousClock.now - started < .seconds(5) {
                quickFailures += 1
            } else {
                quickFailures = 0
            }
            if quickFailures >= 3 {
                state.withLock { $0.failure = "worker \(name) died within 5 s of starting 3 times in a row (\(outcome))" }
                break
            }
            state.withLock { $0.restarts += 1 }
        }
    }

    /// Kills the worker; `run` starts a new one.
    public func restart() {
        if let pid = processIdentifier { kill(pid, SIGKILL) }
    }

    /// Kills the worker for good.
    public func stop() {
        let process = state.withLock { state in
            state.stopping = true
            return state.process
        }
        guard let process, process.isRunning else { return }
        // A worker stops gracefully on TERM (its plugins tear down); one that has not gone
        // within `Nanny.stopGrace` is killed.
        kill(process.processIdentifier, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.stopGrace) {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// How long a stopped worker has to leave before it is killed.
    public static let stopGrace: TimeInterval = 3

    enum Outcome: CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        case terminated(UInt64)
        var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signalled(let signal): "signal \(signal)"
            case .terminated(let bytes): "killed at \(bytes) resident bytes"
            }
        }
    }

    private func launch() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = Self.workerEnvironment(parent: getpid())
        try process.run()
        // A stop that came while this process was starting did not see it: kill it here.
        let stopping = state.withLock { state in
            state.process = process
            return state.stopping
        }
        if stopping { kill(process.processIdentifier, SIGKILL) }
        return process
    }

    /// Watches the worker until it exits, killing it if it holds too much memory.
    private func supervise(_ process: Process) async -> Outcome {
        var killedAt: UInt64?
        while process.isRunning {
            if killedAt == nil, let terminateAt, let resident = ProcessMemory.residentBytes(of: process.processIdentifier), resident > terminateAt {
                killedAt = resident
                kill(process.processIdentifier, SIGKILL)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        process.waitUntilExit()
        if let killedAt { return .terminated(killedAt) }
        return process.terminationReason == .uncaughtSignal ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
    }
}
