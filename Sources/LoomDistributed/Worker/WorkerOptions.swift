import Foundation
import LoomCore

/// How a worker runs: `loom worker tcp://HOST:PORT --nthreads N --memory-limit M --name NAME`.
public struct WorkerOptions: Sendable {
    public var scheduler: Address
    public var name: String?
    public var threads: Int
    public var memoryLimit: UInt64
    /// Where peers and clients fetch data from this worker; by default the local address that
    /// routes to the scheduler (Dask's rule), so other hosts reach it as the scheduler does.
    public var host: String?
    public var port: Int
    /// The address others are told to reach this worker at, when that is not where it listens
    /// (behind NAT, a container's published port): `HOST` or `HOST:PORT`.
    public var contactAddress: String?
    /// TLS for every connection of this worker (`tls://`); nil: plain TCP.
    public var security: Security?
    public var resources: [String: Double]
    /// The least time between two frames to the scheduler; reports in between go together.
    public var batchInterval: Duration
    /// Where spilled values go (in a directory of this worker's own, removed when it stops);
    /// by default the system's temporary directory.
    public var localDirectory: String?
    /// What the worker does as memory fills, as fractions of `memoryLimit` (0: no limit).
    public var memory: WorkerMemoryFractions
    /// How often the worker checks its memory, and tells the scheduler it is alive.
    public var memoryMonitorInterval: Duration
    public var heartbeatInterval: Duration
    /// How long the worker keeps trying to reach its scheduler before it gives up and exits
    /// (Dask's `--death-timeout`): a worker whose scheduler is gone does not linger.
    public var deathTimeout: Duration
    /// After this long (plus up to `lifetimeStagger`, at random, so a job's workers do not all
    /// go at once) the worker asks to be retired gracefully — before a batch job's walltime.
    public var lifetime: Duration?
    public var lifetimeStagger: Duration = .zero
    /// Whether something starts this worker again when it stops for a restart (a nanny sets
    /// `LOOM_SUPERVISED=1` in its environment); unsupervised workers just stop.
    public var supervised: Bool

    public init(
        scheduler: Address, name: String? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        memoryLimit: UInt64 = 0, host: String? = nil, port: Int = 0, contactAddress: String? = nil, security: Security? = nil,
        resources: [String: Double] = [:],
        batchInterval: Duration = defaultBatchInterval, localDirectory: String? = nil,
        memory: WorkerMemoryFractions = WorkerMemoryFractions(),
        memoryMonitorInterval: Duration = .milliseconds(100), heartbeatInterval: Duration = .milliseconds(500),
        deathTimeout: Duration = .seconds(60), supervised: Bool = ProcessInfo.processInfo.environment[Nanny.supervisedVariable] == "1"
    ) {
        self.scheduler = scheduler
        self.name = name
        self.threads = threads
        self.memoryLimit = memoryLimit
        self.host = host
        self.port = port
        self.contactAddress = contactAddress
        self.security = security
        self.resources = resources
        self.batchInterval = batchInterval
        self.localDirectory = localDirectory
        self.memory = memory
        self.memoryMonitorInterval = memoryMonitorInterval
        self.heartbeatInterval = heartbeatInterval
        self.deathTimeout = deathTimeout
        self.supervised = supervised
    }

    /// `fraction` of the memory limit in bytes; `nil` without a limit or with the fraction off.
    func bytes(at fraction: Double?) -> UInt64? {
        guard memoryLimit > 0, let fraction else { return nil }
        return UInt64(Double(memoryLimit) * fraction)
    }
}
