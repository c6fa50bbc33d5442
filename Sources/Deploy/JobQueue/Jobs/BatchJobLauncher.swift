import CLoomSystem
import Foundation
import LoomDistributed
import LoomCore
import Logging
import Synchronization

/// One batch job as a job-queue cluster sees it.
public struct JobInfo: Sendable, Equatable, Codable {
    public var name: String
    /// The batch system's id; empty while the job waits to be submitted.
    public var id: String
    public var state: JobState
    /// The workers the job runs (connected or not).
    public var workers: [String]
    /// This job's folder: its script, its id, and (by default) its output.
    public var directory: String
    /// What the batch system said when it refused the job.
    public var error: String?
}

/// Starts each launch as a batch job: writes its script in a folder of its own, and submits it
/// as soon as the `SubmissionLimits` allow (at once when they do, so a refusal reaches the
/// caller; else later, by `submitWaiting`), keeping its id. The job's state comes from polling
/// the batch system (`JobQueueCluster`).
final class BatchJobLauncher: WorkerLauncher {
    let dialect: any BatchDialect
    let options: JobQueueOptions
    /// Where each job gets its folder.
    let jobsDirectory: String
    /// The address workers are told, when the scheduler's own (a wildcard bind) will not do.
    let contactHost: String?
    let schedulerFile: String?
    /// Where the batch system's commands are, if not on `PATH`.
    let commandsDirectory: String?
    private let state: Mutex<State>
    private let logger = Logger.loom("loom.jobqueue")

    private struct State {
        var jobs: [String: JobInfo] = [:]
        var throttle: SubmissionThrottle
        /// Jobs whose submit command is running.
        var submitting: Set<String> = []
        /// Jobs submitted and not yet running, as the cap counts them.
        var pending: Int { jobs.values.count { $0.state == .pending } + submitting.count }
        /// Submission rounds in which a waiting job was held back (by the cap or the rate).
        var roundsHeldBack = 0
    }

    init(dialect: any BatchDialect, options: JobQueueOptions, jobsDirectory: String, contactHost: String?, schedulerFile: String?,
         commandsDirectory: String? = nil, limits: SubmissionLimits = SubmissionLimits()) {
        self.commandsDirectory = commandsDirectory
        self.dialect = dialect
        self.options = options
        self.jobsDirectory = jobsDirectory
        self.contactHost = contactHost
        self.schedulerFile = schedulerFile
        state = Mutex(State(throttle: SubmissionThrottle(limits: limits)))
    }

    var workersPerLaunch: Int { options.workerProcesses }

    /// Every job asked for and not cancelled before it was submitted, in the order asked, with
    /// its state.
    var current: [JobInfo] { state.withLock { $0.jobs.values.sorted(by: Self.inOrderAsked) } }

    /// Launch names end in a count: `…-9` before `…-10`.
    static func inOrderAsked(_ lhs: JobInfo, _ rhs: JobInfo) -> Bool {
        lhs.name.compare(rhs.name, options: .numeric) == .orderedAscending
    }

    var submissions: SubmissionStatus { state.withLock { $0.throttle.status() } }

    var limits: SubmissionLimits { state.withLock { $0.throttle.limits } }

    func resumeSubmissions() { state.withLock { $0.throttle.clearFailures() } }

    func contact(_ scheduler: Address) -> String {
        contactHost.map { Address(host: $0, port: scheduler.port, scheme: scheduler.scheme).description } ?? scheduler.description
    }

    func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers {
        guard !CleanupAtExit.shared.isEnding else { throw LoomError(.cancelled, "the program is ending: job \(name) is not submitted") }
        let directory = "\(jobsDirectory)/\(name)"
        var options = self.options
        if options.logDirectory == nil, dialect.logsToJobFolder { options.logDirectory = directory }
        let script = try JobScript.render(type(of: dialect).system, options, scheduler: contact(scheduler), schedulerFile: schedulerFile, name: name)
        let path = scriptPath(directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try script.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw LoomError(.configuration, "cannot write the job script \(path): \(error)")
        }
        let decision = state.withLock { state in
            // Jobs that already wait go first.
            let queueBehind = state.jobs.values.contains { $0.state == .waiting && !state.submitting.contains($0.name) }
            let decision = queueBehind ? .wait : state.throttle.decide(pending: state.pending)
            if case .paused = decision { return decision }
            state.jobs[name] = JobInfo(name: name, id: "", state: .waiting, workers: workerNames, directory: directory)
            if decision == .submit { state.submitting.insert(name) }
            return decision
        }
        switch decision {
        case .paused(let until, let said):
            try? FileManager.default.removeItem(atPath: directory)
            let seconds = Int(((until - .now) / .seconds(1)).rounded(.up))
            throw LoomError(.configuration, """
                job submissions are paused for \(seconds) s after \(state.withLock { $0.throttle.consecutiveFailures }) \
                refusals in a row (resumeSubmissions() ends the pause); the last: \(said)
                """)
        case .wait:
            logger.info("a job waits to be submitted", metadata: ["job.name": "\(name)"])
        case .submit:
            // Refused here, the job is forgotten: the caller hears why.
            if let refusal = await submit(name, keepIfRefused: false) { throw LoomError(.configuration, refusal) }
        }
        return BatchJob(launcher: self, name: name)
    }

    private func scriptPath(_ directory: String) -> String { "\(directory)/\(dialect.jobFileName)" }

    /// Submits a job this launcher claimed (`submitting`); returns the refusal, if refused.
    /// A refused job is kept as failed with the refusal (`keepIfRefused`: nobody else will hear
    /// of it), or forgotten; a job cancelled meanwhile is cancelled in the batch system too.
    private func submit(_ name: String, keepIfRefused: Bool) async -> String? {
        let directory = "\(jobsDirectory)/\(name)"
        let (command, input) = dialect.submit(scriptPath(directory))
        let refusal: String?
        var id: String?
        do {
            let result = try await runCommandOffPool(command, input: input, directory: directory, commands: commandsDirectory)
            id = result.status == 0 ? dialect.jobID(fromSubmitOutput: result.output) : nil
            let said = (result.error + result.output).trimmingCharacters(in: .whitespacesAndNewlines)
            refusal = id == nil ? "\(command[0]) rejected job \(name) (exit status \(result.status)): \(said)" : nil
        } catch {
            refusal = "cannot submit job \(name): \(error)"
        }
        let cancelled = state.withLock { state in
            let wanted = state.jobs[name].map { $0.state != .cancelled } ?? false
            // A job cancelled meanwhile stays "being submitted" until its cancel ran, so a
            // program ending waits for that (`cancelAllNow`).
            if id == nil || wanted { state.submitting.remove(name) }
            if let id {
                state.throttle.clearFailures()
                state.jobs[name]?.id = id
                if wanted { state.jobs[name]?.state = .pending }
            } else {
                state.throttle.failed(refusal ?? "")
                if wanted, keepIfRefused {
                    state.jobs[name]?.state = .failed
                    state.jobs[name]?.error = refusal
                } else {
                    state.jobs[name] = nil
                }
            }
            return !wanted
        }
        guard let id else {
            logger.error("the batch system refused a job", metadata: ["job.name": "\(name)", "said": "\(refusal ?? "")"])
            return refusal
        }
        try? id.write(toFile: "\(directory)/job-id", atomically: true, encoding: .utf8)
        logger.info("submitted a job", metadata: ["job.name": "\(name)", "job.id": "\(id)"])
        if cancelled {
            _ = try? await runCommandOffPool(dialect.cancel([id]), commands: commandsDirectory)
            state.withLock { _ = $0.submitting.remove(name) }
        }
        return nil
    }

    /// Submits the jobs that wait, oldest first, as far as the limits allow now; a refused one
    /// is marked failed with what the batch system said.
    func submitWaiting() async {
        while !Task.isCancelled, !CleanupAtExit.shared.isEnding, let name = state.withLock({ state -> String? in
            guard let next = state.jobs.values.filter({ $0.state == .waiting && !state.submitting.contains($0.name) })
                .min(by: Self.inOrderAsked)?.name else { return nil }
            guard state.throttle.decide(pending: state.pending) == .submit else {
                state.roundsHeldBack += 1
                return nil
            }
            state.submitting.insert(next)
            return next
        }) {
            _ = await submit(name, keepIfRefused: true)
        }
    }

    /// How many submission rounds held a waiting job back so far (tests wait on it).
    var roundsHeldBack: Int { state.withLock { $0.roundsHeldBack } }

    /// Asks the batch system where the submitted jobs stand, and records it.
    func poll() async {
        let ids = state.withLock { $0.jobs.values.filter { !$0.id.isEmpty && !$0.state.isOver }.map(\.id) }
        guard !ids.isEmpty, let result = try? await runCommandOffPool(dialect.status(ids), commands: commandsDirectory) else { return }
        // squeue answers an error when none of the ids is known any more: all have ended.
        let states = result.status == 0 ? dialect.states(fromStatusOutput: result.output, ids: ids)
            : (result.error.contains("Invalid job id") ? Dictionary(uniqueKeysWithValues: ids.map { ($0, JobState.finished) }) : [:])
        state.withLock { state in
            for (name, job) in state.jobs where !job.state.isOver {
                if let new = states[job.id], new != job.state { state.jobs[name]?.state = new }
            }
        }
    }

    /// Cancels a job: one still waiting is simply dropped; one being submitted is cancelled
    /// once its id is known.
    func cancel(name: String) async {
        let id = state.withLock { state -> String? in
            guard let job = state.jobs[name] else { return nil }
            state.jobs[name]?.state = .cancelled
            if job.id.isEmpty, !state.submitting.contains(name) { state.jobs[name] = nil }
            return job.id.isEmpty ? nil : job.id
        }
        guard let id else { return }
        _ = try? await runCommandOffPool(dialect.cancel([id]), commands: commandsDirectory)
    }

    /// Cancels every job, in one command, at once (the program is ending: `CleanupAtExit`);
    /// jobs whose submission is under way are waited for, a little, and cancelled too.
    func cancelAllNow() {
        for _ in 0..<20 {
            let (ids, submitting) = state.withLock { state in
                let live = state.jobs.values.filter { !$0.state.isOver }
                for job in live { state.jobs[job.name]?.state = .cancelled }
                return (live.map(\.id).filter { !$0.isEmpty }, !state.submitting.isEmpty)
            }
            if !ids.isEmpty { _ = try? runCommand(dialect.cancel(ids), commands: commandsDirectory) }
            guard submitting else { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func hasEnded(_ name: String) -> Bool {
        state.withLock { $0.jobs[name]?.state.isOver ?? true }
    }

    func failure(of name: String) -> String? {
        state.withLock { state in
            guard let job = state.jobs[name], job.state == .failed else { return nil }
            if let error = job.error { return error }
            return "batch job \(job.id) (\(job.name)) failed; its output is in \(job.directory)"
        }
    }
}

/// A job's workers (submitted, or waiting to be): stopping them cancels the job.
struct BatchJob: LaunchedWorkers {
    let launcher: BatchJobLauncher
    let name: String
    var failure: String? { launcher.failure(of: name) }
    var hasEnded: Bool { launcher.hasEnded(name) }
    func stop() async { await launcher.cancel(name: name) }
}
