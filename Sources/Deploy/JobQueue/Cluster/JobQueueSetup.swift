import LoomCore
import LoomDistributed

/// Where a job-queue cluster's scheduler listens and how its jobs find it.
public struct JobQueueSetup: Sendable {
    /// Where the scheduler listens; `0.0.0.0` (the default) on every interface.
    public var host = "0.0.0.0"
    public var port = 0
    /// The network interface the scheduler listens on (`ib0`), instead of `host`; workers are
    /// told its address. Workers choose theirs with `JobQueueOptions.interface`.
    public var schedulerInterface: String?
    /// The host name or address workers connect to; by default this machine's outward address
    /// when the scheduler listens everywhere.
    public var contactAddress: String?
    /// A path on a shared directory to write the scheduler's address to; workers then read it
    /// instead of being told the address.
    public var schedulerFile: String?
    /// Where each job gets its folder (script, id, output); by default `./loom-jobs/<cluster>`.
    public var jobsDirectory: String?
    public var dashboardAddress: String? = ":8787"
    /// How often the batch system is asked for the jobs' states.
    public var pollInterval: Duration = .seconds(1)
    /// Where the batch system's commands are, if not on `PATH`.
    public var commandsDirectory: String?
    /// A cap on pending jobs, the submission rate, and what happens after refusals.
    public var limits = SubmissionLimits()
    /// Cancel the jobs on Ctrl-C, TERM or HUP too, not only at exit (see `CleanupAtExit`); a
    /// program that handles those signals itself (a server) says false and calls `close()`.
    public var cancelJobsOnSignals = true
    /// Plugins for the scheduler besides the process's defaults (the dashboard) and the jobs page.
    public var plugins: [any SchedulerPlugin] = []
    /// TLS for every connection; the job scripts pass the worker's files as `--tls-*` flags
    /// (certificates made in memory are written under the jobs directory, which the nodes share).
    public var security: Security?

    public init(host: String = "0.0.0.0", schedulerInterface: String? = nil, contactAddress: String? = nil, schedulerFile: String? = nil, jobsDirectory: String? = nil,
                dashboardAddress: String? = ":8787", pollInterval: Duration = .seconds(1), commandsDirectory: String? = nil,
                limits: SubmissionLimits = SubmissionLimits(), cancelJobsOnSignals: Bool = true, security: Security? = nil) {
        self.security = security
        self.limits = limits
        self.cancelJobsOnSignals = cancelJobsOnSignals
        self.host = host
        self.schedulerInterface = schedulerInterface
        self.contactAddress = contactAddress
        self.schedulerFile = schedulerFile
        self.jobsDirectory = jobsDirectory
        self.dashboardAddress = dashboardAddress
        self.pollInterval = pollInterval
        self.commandsDirectory = commandsDirectory
    }
}
