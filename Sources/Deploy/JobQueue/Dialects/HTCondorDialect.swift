import Foundation
import LoomCore

/// HTCondor: a submit description instead of a script (`condor_submit`, `condor_q`, `condor_rm`);
/// memory in MiB, disk in KiB.
public struct HTCondorDialect: BatchDialect {
    public static let system = BatchSystem.htcondor
    public let jobFileName = "job.submit"
    /// Its output files are named in the description only when a log directory is set.
    public let logsToJobFolder = false

    public init() {}

    /// The workers' command in `/bin/sh -c`, quoted in HTCondor's new argument syntax: the
    /// whole string in double quotes, single quotes group, a literal quote is doubled.
    public func jobFile(_ options: JobQueueOptions, memory: UInt64, command: String) -> String {
        let disk = (options.disk.flatMap { try? MemorySize.bytes($0) }) ?? memory
        let script = (options.jobScriptPrologue + [command] + options.jobScriptEpilogue).joined(separator: "; ")
        let arguments = "-c '" + script.replacingOccurrences(of: "'", with: "''").replacingOccurrences(of: "\"", with: "\"\"") + "'"
        var lines = [
            "Executable = /bin/sh",
            "Arguments = \"\(arguments)\"",
            "RequestCpus = \(options.cores)",
            "RequestMemory = \(BatchMemory.condorMemory(memory))",
            "RequestDisk = \(BatchMemory.condorDisk(disk))",
        ]
        if let log = options.logDirectory {
            lines += ["Output = \(log)/\(options.jobName)-$(Cluster).out", "Error = \(log)/\(options.jobName)-$(Cluster).err"]
        }
        lines = lines.filter { !options.skipsDirective($0) } + options.jobExtraDirectives
        lines.append("Queue")
        return lines.joined(separator: "\n") + "\n"
    }

    public func submit(_ jobFile: String) -> (command: [String], input: String?) { (["condor_submit", jobFile], nil) }
    public func cancel(_ ids: [String]) -> [String] { ["condor_rm"] + ids }
    public func status(_ ids: [String]) -> [String] { ["condor_q"] + ids + ["-af:jr", "JobStatus"] }
    public func jobID(fromSubmitOutput output: String) -> String? { Self.firstInteger(after: "submitted to cluster", in: output) }

    /// With `-af:jr`: `cluster.process status` per job.
    public func listedStates(_ output: String, ids: [String]) -> [String: JobState] {
        var states: [String: JobState] = [:]
        for fields in Self.fields(output) where fields.count >= 2 {
            states[String(fields[0].prefix { $0 != "." })] = Self.state(fields[1])
        }
        return states
    }

    static func state(_ code: String) -> JobState {
        switch code {
        case "1": .pending
        case "2", "6": .running
        case "4": .finished
        case "3": .cancelled
        default: .failed  // 5 held, 7 suspended
        }
    }
}
