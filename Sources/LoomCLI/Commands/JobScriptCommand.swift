import ArgumentParser
import Foundation
import LoomCore
import LoomDistributed
import LoomJobQueue

/// `loom job-script slurm --cores 24 --memory 128GB …`: the script a job-queue cluster would
/// submit, printed, to check or to submit by hand. The `jobqueue.<system>` section of loom.yaml
/// gives the defaults; the options here override it.
public struct JobScriptCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "job-script", abstract: "Print the job script that starts one batch job's Loom workers.")

    @Argument(help: "The batch system: \(BatchSystem.allCases.map(\.rawValue).joined(separator: ", ")).")
    var system: String

    @Option(help: "Cores per job (else jobqueue.<system>.cores in loom.yaml).") var cores: Int?
    @Option(help: "Memory per job: 128GB, 64GiB, … (else jobqueue.<system>.memory).") var memory: String?
    @Option(help: "Worker processes per job (default: as Dask chooses).") var processes: Int?
    @Option(help: "Queue or partition.") var queue: String?
    @Option(help: "Account or project to charge.") var account: String?
    @Option(help: "Walltime, HH:MM:SS.") var walltime: String?
    @Option(help: "Job name (default: loom-worker).") var jobName: String?
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
    @Option(help: "Seconds workers wait for the scheduler (default: 60).") var deathTimeout: Double?
    @Option(help: "The worker program (default: this one).") var workerCommand: String?
    @Flag(inversion: .prefixedNo, help: "Run workers under nannies (default: yes).") var nanny: Bool?
    @Option(help: "The scheduler's address.") var scheduler = "tcp://SCHEDULER-HOST:8786"
    @Option(help: "A scheduler file to read the address from instead.") var schedulerFile: String?

    public init() {}

    public func run() throws {
        guard let batch = BatchSystem(rawValue: system.lowercased()) else {
            throw ValidationError("unknown batch system '\(system)'; use \(BatchSystem.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var options = try JobQueueOptions.configured(for: batch, cores: cores, memory: memory)
        func override<Value>(_ field: inout Value, _ value: Value?) { if let value { field = value } }
        func override<Value>(_ field: inout Value?, _ value: Value?) { if let value { field = value } }
        func override(_ field: inout [String], _ values: [String]) { if !values.isEmpty { field = values } }
        override(&options.processes, processes)
        override(&options.queue, queue)
        override(&options.account, account)
        override(&options.walltime, walltime)
        override(&options.jobName, jobName)
        override(&options.jobExtraDirectives, jobExtraDirectives)
        override(&options.jobDirectivesSkip, jobDirectivesSkip)
        override(&options.jobScriptPrologue, prologue)
        override(&options.jobScriptEpilogue, epilogue)
        override(&options.resourceSpec, resourceSpec)
        override(&options.interface, interface)
        override(&options.localDirectory, localDirectory)
        override(&options.logDirectory, logDirectory)
        override(&options.deathTimeout, deathTimeout)
        override(&options.workerCommand, workerCommand)
        override(&options.nanny, nanny)
        print(try JobScript.render(batch, options, scheduler: scheduler, schedulerFile: schedulerFile, name: options.jobName), terminator: "")
    }
}
