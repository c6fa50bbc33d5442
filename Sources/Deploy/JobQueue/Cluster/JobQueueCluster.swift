import Foundation
import LoomDistributed
import LoomCore

/// Workers as batch jobs (dask-jobqueue's `JobQueueCluster`): a scheduler in this process, and
/// jobs submitted to SLURM, PBS, LSF, SGE, HTCondor or OAR, each running `processes` workers.
///
/// ```swift
/// let cluster = try await SLURMCluster(queue: "normal", cores: 24, memory: "128GB", walltime: "02:00:00",
///                                      jobExtraDirectives: ["--constraint=haswell"])
/// try await cluster.scale(jobs: 10)
/// let client = try await Client(cluster)
/// ```
/// Job states come from polling the batch system (`jobs`); each job has a folder with its
/// script, id and output under `jobsDirectory`. Jobs are cancelled by `close()`, and on exit.
///
/// One cluster type serves every system: what differs is the `Dialect` (`SLURMCluster` is
/// `JobQueueCluster<SLURMDialect>`).
public final class JobQueueCluster<Dialect: BatchDialect>: Cluster, Sendable {
    public let base: SpecCluster
    public var system: BatchSystem { Dialect.system }
    public let options: JobQueueOptions
    let launcher: BatchJobLauncher
    private let polling: ClusterTask
    private let submitting: ClusterTask
    /// Cancels the jobs (and removes the scheduler file) if the program ends without `close()`.
    private let cleanup: Int
    private let schedulerFile: String?
    private let workerCredentials: CredentialFiles?

    /// Without `options` or `setup`, they come from the `jobqueue.<system>` section of
    /// loom.yaml (`JobQueueOptions.configured(for:)`, `JobQueueSetup.configured(for:)`).
    public init(options: JobQueueOptions?, setup: JobQueueSetup? = nil) async throws {
        let system = Dialect.system
        let options = try options ?? JobQueueOptions.configured(for: system)
        let setup = try setup ?? JobQueueSetup.configured(for: system)
        _ = try options.validated()
        self.options = options
        let name = "loom-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let directory = setup.jobsDirectory ?? FileManager.default.currentDirectoryPath + "/loom-jobs/\(name)"
        let host = try setup.schedulerInterface.map(NetworkInterface.ipv4Address(of:)) ?? setup.host
        let security = try setup.security ?? Security.configured(try Configuration.current)
        let credentials = try security.map { try CredentialFiles($0, role: .worker, base: directory) }
        workerCredentials = credentials
        var scripted = options
        scripted.workerExtraArguments += credentials?.arguments ?? []
        launcher = BatchJobLauncher(
            dialect: Dialect(), options: scripted, jobsDirectory: directory, contactHost: setup.contactAddress, schedulerFile: setup.schedulerFile,
            commandsDirectory: setup.commandsDirectory, limits: setup.limits)
        do {
            base = try await SpecCluster(
                name: name, launcher: launcher,
                scheduler: SchedulerOptions(
                    host: host, port: setup.port, scheduling: .configured(try Configuration.current), dashboardAddress: setup.dashboardAddress,
                    security: security),
                plugins: [JobsPlugin(launcher: launcher)] + setup.plugins)
        } catch {
            credentials?.remove()
            throw error
        }
        if let schedulerFile = setup.schedulerFile {
            do {
                try SchedulerFile(address: launcher.contact(base.schedulerAddress), dashboard: base.scheduler.dashboardLink).write(to: schedulerFile)
            } catch {
                await base.close()  // no scheduler left behind
                throw error
            }
        }
        let launcher = launcher, interval = setup.pollInterval, schedulerFile = setup.schedulerFile
        self.schedulerFile = schedulerFile
        cleanup = CleanupAtExit.shared.add(onSignals: setup.cancelJobsOnSignals) {
            launcher.cancelAllNow()
            if let schedulerFile { try? FileManager.default.removeItem(atPath: schedulerFile) }
        }
        polling = base.tasks.start {
            while !Task.isCancelled {
                await launcher.poll()
                try? await Task.sleep(for: interval)
            }
        }
        // Jobs held back by the limits go as soon as they allow.
        submitting = base.tasks.start {
            while !Task.isCancelled {
                await launcher.submitWaiting()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    deinit {
        polling.cancel()
        submitting.cancel()
    }

    /// The job script one job runs (with a placeholder name for its workers).
    public func jobScript() throws -> String {
        try JobScript.render(system, launcher.options, scheduler: launcher.contact(base.schedulerAddress),
                             schedulerFile: launcher.schedulerFile, name: "\(base.name)-N")
    }

    /// The jobs asked for and not cancelled, with their states (`.waiting` before they are
    /// submitted).
    public var jobs: [JobInfo] { launcher.current.filter { $0.state != .cancelled } }

    /// Failures in a row, the batch system's last refusal, and a pause after repeated ones.
    public var submissions: SubmissionStatus { launcher.submissions }

    /// Submits again after a pause (once what the batch system refused is fixed).
    public func resumeSubmissions() { launcher.resumeSubmissions() }

    /// Asks for `jobs` jobs (submitting or cancelling); returns once submitted, not started.
    public func scale(jobs: Int) async throws { try await base.scale(max(0, jobs) * options.workerProcesses, wait: false) }
    /// As many jobs as `workers` workers need (Dask's `cluster.scale(n)`); returns once
    /// submitted, as jobs may queue for long.
    public func scale(_ workers: Int) async throws { try await scale(workers: workers) }
    /// As many jobs as `workers` workers need.
    public func scale(workers: Int) async throws { try await scale(jobs: (max(0, workers) + options.workerProcesses - 1) / options.workerProcesses) }
    /// As many jobs as `cores` cores need.
    public func scale(cores: Int) async throws { try await scale(jobs: (max(0, cores) + options.cores - 1) / options.cores) }
    /// As many jobs as `memory` ("1TB") needs.
    public func scale(memory: String) async throws {
        let wanted = try MemorySize.bytes(memory), perJob = try options.validated().memoryBytes
        try await scale(jobs: Int((wanted + perJob - 1) / perJob))
    }

    /// Follows the work between `minimumJobs` and `maximumJobs` jobs (Dask's rule), with the
    /// same knobs as every cluster's `adapt(minimum:maximum:…)`, which counts workers instead.
    public func adapt(minimumJobs: Int = 0, maximumJobs: Int = .max, targetDuration: Duration = .seconds(5),
                      interval: Duration = .seconds(1), waitCount: Int = 3) {
        func workers(_ jobs: Int) -> Int {
            let (product, overflow) = max(0, jobs).multipliedReportingOverflow(by: options.workerProcesses)
            return overflow ? .max : product
        }
        base.adapt(AdaptiveOptions(
            minimum: workers(minimumJobs), maximum: workers(maximumJobs),
            targetDuration: targetDuration, interval: interval, waitCount: waitCount))
    }

    /// Cancels every job, stops the scheduler and removes the scheduler file.
    public func close() async {
        polling.cancel()
        submitting.cancel()
        await base.close()
        if let schedulerFile { try? FileManager.default.removeItem(atPath: schedulerFile) }
        workerCredentials?.remove()
        CleanupAtExit.shared.remove(cleanup)
    }
}

/// The job-queue cluster of each batch system, by the names dask-jobqueue users know.
public typealias SLURMCluster = JobQueueCluster<SLURMDialect>
/// Jobs submitted with `qsub` to PBS Pro or Torque.
public typealias PBSCluster = JobQueueCluster<PBSDialect>
/// Jobs submitted with `bsub`.
public typealias LSFCluster = JobQueueCluster<LSFDialect>
/// Jobs submitted with `qsub` to Grid Engine.
public typealias SGECluster = JobQueueCluster<SGEDialect>
/// Jobs submitted with `condor_submit`.
public typealias HTCondorCluster = JobQueueCluster<HTCondorDialect>
/// Jobs submitted with `oarsub`.
public typealias OARCluster = JobQueueCluster<OARDialect>

extension JobQueueCluster {
    /// The `jobqueue.<system>` section of loom.yaml, overridden by what is given here (as
    /// dask-jobqueue's keyword arguments override its configuration), with the initialiser
    /// dask-jobqueue users write: `SLURMCluster(queue: "normal", cores: 24, memory: "128GB")`;
    /// `SLURMCluster()` takes the section as it is. Every other option: `init(options:setup:)`.
    public convenience init(queue: String? = nil, account: String? = nil, cores: Int? = nil, memory: String? = nil, processes: Int? = nil,
                walltime: String? = nil, jobExtraDirectives: [String]? = nil, jobScriptPrologue: [String]? = nil,
                interface: String? = nil, localDirectory: String? = nil, setup: JobQueueSetup? = nil) async throws {
        var options = try JobQueueOptions.configured(for: Dialect.system, cores: cores, memory: memory)
        if let queue { options.queue = queue }
        if let account { options.account = account }
        if let processes { options.processes = processes }
        if let walltime { options.walltime = walltime }
        if let jobExtraDirectives { options.jobExtraDirectives = jobExtraDirectives }
        if let jobScriptPrologue { options.jobScriptPrologue = jobScriptPrologue }
        if let interface { options.interface = interface }
        if let localDirectory { options.localDirectory = localDirectory }
        var setup = try setup ?? JobQueueSetup.configured(for: Dialect.system)
        // As in dask-jobqueue, the interface is the scheduler's too unless the setup says otherwise.
        if let interface, setup.schedulerInterface == nil { setup.schedulerInterface = interface }
        try await self.init(options: options, setup: setup)
    }
}
