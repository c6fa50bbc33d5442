import ArgumentParser
import Foundation
import Loom

/// `loom job-script slurm --cores 24 --memory 128GB …`: the script a job-queue cluster would
/// submit, printed, to check or to submit by hand.
struct JobScriptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job-script", abstract: "Print the job script that starts one batch job's Loom workers.")

    @Argument(help: "The batch system: \(BatchSystem.allCases.map(\.rawValue).joined(separator: ", ")).")
    var system: String

    @Option(help: "Cores per job.") var cores: Int
    @Option(help: "Memory per job: 128GB, 64GiB, …") var memory: String
    @Option(help: "Worker processes per job (default: as Dask chooses).") var processes: Int?
    @Option(help: "Queue or partition.") var queue: String?
    @Option(help: "Account or project to charge.") var account: String?
    @Option(help: "Walltime, HH:MM:SS.") var walltime: String?
    @Option(help: "Job name.") var jobName = "loom-worker"
    @Option(name: .customLong("job-extra-directive"), help: "An extra header line (repeatable), e.g. --constraint=haswell.")
    var jobExtraDirectives: [String] = []
    @Option(name: .customLong("job-directives-skip"), help: "Drop generated header lines containing this (repeatable).")
    var jobDirectivesSkip: [String] = []
    @Option(name: .customLong("prologue"), help: "A shell line before the worker command (repeatable).") var prologue: [String] = []
    @Option(name: .customLong("epilogue"), help: "A shell line after the worker command (repeatable).") var epilogue: [String] = []
    @Option(help: "PBS/SGE resource specification, passed as -l SPEC.") var resourceSpec: String?
    @Option(help: "Network interface the workers serve on.") var interface: String?
    @Option(help: "Where workers spill ($VARIABLES expand on the node).") var localDirectory: String?
    @Option(help: "Where the batch system writes the job's output.") var logDirectory: String?
    @Option(help: "Seconds workers wait for the scheduler.") var deathTimeout: Double = 60
    @Option(help: "The worker program (default: this one).") var workerCommand: String?
    @Flag(inversion: .prefixedNo, help: "Run workers under nannies.") var nanny = true
    @Option(help: "The scheduler's address.") var scheduler = "tcp://SCHEDULER-HOST:8786"
    @Option(help: "A scheduler file to read the address from instead.") var schedulerFile: String?

    func run() throws {
        guard let batch = BatchSystem(rawValue: system.lowercased()) else {
            throw ValidationError("unknown batch system '\(system)'; use \(BatchSystem.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var options = JobQueueOptions(cores: cores, memory: memory)
        options.processes = processes
        options.queue = queue
        options.account = account
        options.walltime = walltime
        options.jobName = jobName
        options.jobExtraDirectives = jobExtraDirectives
        options.jobDirectivesSkip = jobDirectivesSkip
        options.jobScriptPrologue = prologue
        options.jobScriptEpilogue = epilogue
        options.resourceSpec = resourceSpec
        options.interface = interface
        options.localDirectory = localDirectory
        options.logDirectory = logDirectory
        options.deathTimeout = deathTimeout
        options.workerCommand = workerCommand
        options.nanny = nanny
        print(try JobScript.render(batch, options, scheduler: scheduler, schedulerFile: schedulerFile, name: jobName), terminator: "")
    }
}
