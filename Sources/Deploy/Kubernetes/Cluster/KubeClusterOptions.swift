import Foundation
import LoomCore
import LoomDistributed

/// How a `KubeCluster` is deployed (dask-kubernetes' settings, in Swift).
public struct KubeClusterOptions: Sendable {
    /// Where the scheduler runs.
    public enum Deploy: Sendable, Hashable {
        /// In this process; the pods must reach it (this program runs in the cluster, or on a
        /// host the pod network routes to).
        case local
        /// In a pod of its own with a Service (ports 8786 and 8787) in front; this program
        /// reaches it through the Service's cluster IP, and the workers at their pod IPs (from
        /// inside the cluster, or a network routed to it). `plugins`, `dashboardAddress`,
        /// `schedulerHost` and `schedulerPort` are local mode's.
        case remote
    }

    /// The cluster's name: the pods' prefix and their `loom.dev/cluster-name` label (by default
    /// `loom-` and random hex). It is what `loom kubernetes cleanup --cluster` takes.
    public var name: String?
    /// By default the credentials' (the kubeconfig context's, or the pod's own).
    public var namespace: String?
    public var deploy: Deploy
    /// Threads per worker, for a template whose container has no CPU resources (requests and
    /// limits are set to match); a template's resources win.
    public var threads: Int?
    /// Memory per worker ("4GiB", "2GB"), for a template without memory resources (likewise).
    public var memory: String?
    /// Local mode: the address the scheduler listens on (every interface by default; pods are
    /// told this host's outward address, or `host` itself when it names one).
    public var schedulerHost: String
    public var schedulerPort: Int
    /// Local mode: where the dashboard listens (`nil` for none).
    public var dashboardAddress: String?
    /// Remote mode: the scheduler's pod (by default the workers' template).
    public var schedulerTemplate: PodTemplate?
    /// Seconds a worker keeps trying to reach a lost scheduler before it exits, so workers of a
    /// crashed client do not run on for ever.
    public var deathTimeout: Int
    /// How long `scale` waits for workers' pods to be pulled, scheduled and joined.
    public var startTimeout: Duration
    /// How long a pod may stay Unschedulable or fail to pull its image before `scale` gives up
    /// with that as its error (a cluster autoscaler adding a node needs a few minutes: raise it).
    public var troublePatience: Duration
    /// TLS on every connection; certificates reach the pods through a Secret.
    public var security: Security?
    /// Scheduler plugins besides the process's defaults (local mode).
    public var plugins: [any SchedulerPlugin]

    public init(name: String? = nil, namespace: String? = nil, deploy: Deploy = .local, threads: Int? = nil, memory: String? = nil,
                schedulerHost: String = "0.0.0.0", schedulerPort: Int = 0, dashboardAddress: String? = ":8787",
                schedulerTemplate: PodTemplate? = nil, deathTimeout: Int = 60, startTimeout: Duration = .seconds(180),
                troublePatience: Duration = .seconds(60), security: Security? = nil, plugins: [any SchedulerPlugin] = []) {
        self.name = name
        self.namespace = namespace
        self.deploy = deploy
        self.threads = threads
        self.memory = memory
        self.schedulerHost = schedulerHost
        self.schedulerPort = schedulerPort
        self.dashboardAddress = dashboardAddress
        self.schedulerTemplate = schedulerTemplate
        self.deathTimeout = deathTimeout
        self.startTimeout = startTimeout
        self.troublePatience = troublePatience
        self.security = security
        self.plugins = plugins
    }

    /// The memory in bytes, or nil.
    func memoryBytes() throws -> Int64? {
        guard let memory else { return nil }
        guard let bytes = try? MemorySize.bytes(memory), bytes > 0, bytes <= UInt64(Int64.max) else {
            throw LoomError(.configuration, "memory: \(memory) is not an amount of memory for a pod (give e.g. 4GiB)")
        }
        return Int64(bytes)
    }
}
