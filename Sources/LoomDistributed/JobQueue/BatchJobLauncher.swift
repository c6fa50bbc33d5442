import Foundation
import LoomCore
import Logging
import Synchronization

/// One batch job as a job-queue cluster sees it.
public struct JobInfo: Sendable, Equatable {
    public var name: String
    public var id: String
    public var state: JobState
    /// The workers the job runs (connected or not).
    public var workers: [String]
    /// This job's folder: its script, its id, and (by default) its output.
    public var directory: String
}

/// Starts each launch as a batch job: writes its script in a folder of its own, submits it,
/// and keeps its id; the job's state comes from polling the batch system (`JobQueueCluster`).
final class BatchJobLauncher: WorkerLauncher {
    let system: BatchSystem
    let options: JobQueueOptions
    let commands: BatchCommands
    /// Where each job gets its folder.
    let jobsDirectory: String
    /// The address workers are told, when the scheduler's own (a wildcard bind) will not do.
    let contactHost: String?
    let schedulerFile: String?
    /// Where the batch system's commands are, if not on `PATH`.
    let commandsDirectory: String?
    private let jobs = Mutex<[String: JobInfo]>([:])
    private let logger = Logger.loom("loom.jobqueue")

    init(system: BatchSystem, options: JobQueueOptions, jobsDirectory: String, contactHost: String?, schedulerFile: String?,
         commandsDirectory: String? = nil) {
        self.commandsDirectory = commandsDirectory
        self.system = system
        self.options = options
        commands = BatchCommands(system: system)
        self.jobsDirectory = jobsDirectory
        self.contactHost = contactHost
        self.schedulerFile = schedulerFile
    }

    var workersPerLaunch: Int { options.workerProcesses }

    /// Every job submitted and not yet seen to end, with its state.
    var current: [JobInfo] { jobs.withLock { Array($0.values).sorted { $0.name < $1.name } } }

    func contact(_ scheduler: Address) -> String {
        Address(host: contactHost ?? scheduler.host, port: scheduler.port).description
    }

    func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers {
        let directory = "\(jobsDirectory)/\(name)"
        var options = self.options
        if options.logDirectory == nil, system != .htcondor { options.logDirectory = directory }
        let script = try JobScript.render(system, options, scheduler: contact(scheduler), schedulerFile: schedulerFile, name: name)
        let path = "\(directory)/" + (system == .htcondor ? "job.submit" : "job.sh")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try script.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw LoomError(.configuration, "cannot write the job script \(path): \(error)")
        }
        let (command, input) = commands.submit(path)
        let result = try await runBatchCommandOffPool(command, input: input, directory: directory, commands: commandsDirectory)
        guard result.status == 0, let id = commands.jobID(fromSubmitOutput: result.output) else {
            let said = (result.error + result.output).trimmingCharacters(in: .whitespacesAndNewlines)
            throw LoomError(.configuration, "\(command[0]) rejected job \(name) (exit status \(result.status)): \(said)")
        }
        try? id.write(toFile: "\(directory)/job-id", atomically: true, encoding: .utf8)
        logger.info("submitted a job", metadata: ["job.name": "\(name)", "job.id": "\(id)"])
        let info = JobInfo(name: name, id: id, state: .pending, workers: workerNames, directory: directory)
        jobs.withLock { $0[name] = info }
        JobsToCancelAtExit.shared.add(system: system, id: id, commands: commandsDirectory)
        return SubmittedJob(launcher: self, name: name, id: id)
    }

    /// Asks the batch system where the jobs stand, and records it.
    func poll() async {
        let ids = jobs.withLock { $0.values.filter { !$0.state.isOver }.map(\.id) }
        guard !ids.isEmpty, let result = try? await runBatchCommandOffPool(commands.status(ids), commands: commandsDirectory) else { return }
        // squeue answers an error when none of the ids is known any more: all have ended.
        let states = result.status == 0 ? commands.states(fromStatusOutput: result.output, ids: ids)
            : (result.error.contains("Invalid job id") ? Dictionary(uniqueKeysWithValues: ids.map { ($0, JobState.finished) }) : [:])
        jobs.withLock { jobs in
            for (name, job) in jobs {
                if let state = states[job.id], state != job.state { jobs[name]?.state = state }
            }
        }
    }

    func cancel(name: String, id: String) async {
        _ = try? await runBatchCommandOffPool(commands.cancel([id]), commands: commandsDirectory)
        JobsToCancelAtExit.shared.remove(system: system, id: id)
        jobs.withLock { $0[name]?.state = .cancelled }
    }

    func hasEnded(_ name: String) -> Bool {
        jobs.withLock { $0[name]?.state.isOver ?? true }
    }

    func failure(of name: String) -> String? {
        jobs.withLock { jobs in
            guard let job = jobs[name], job.state == .failed else { return nil }
            return "batch job \(job.id) (\(job.name)) failed; its output is in \(job.directory)"
        }
    }
}

/// A submitted job's workers: stopping them cancels the job.
struct SubmittedJob: LaunchedWorkers {
    let launcher: BatchJobLauncher
    let name: String
    let id: String
    var failure: String? { launcher.failure(of: name) }
    var hasEnded: Bool { launcher.hasEnded(name) }
    func stop() async { await launcher.cancel(name: name, id: id) }
}

/// Jobs to cancel if the process exits without closing its clusters (as dask-jobqueue tries).
final class JobsToCancelAtExit: Sendable {
    static let shared = JobsToCancelAtExit()
    private let jobs = Mutex<[String: (BatchSystem, String, String?)]>([:])

    private init() {
        atexit {
            for (system, id, commands) in JobsToCancelAtExit.shared.jobs.withLock({ Array($0.values) }) {
                _ = try? runBatchCommand(BatchCommands(system: system).cancel([id]), commands: commands)
            }
        }
    }

    func add(system: BatchSystem, id: String, commands: String?) { jobs.withLock { $0["\(system.rawValue)/\(id)"] = (system, id, commands) } }
    func remove(system: BatchSystem, id: String) { jobs.withLock { $0["\(system.rawValue)/\(id)"] = nil } }
}
