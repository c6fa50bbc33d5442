import LoomCore

/// SLURM: `sbatch`, `squeue`, `scancel`; memory in binary units rounded up (`BatchMemory.slurm`).
public struct SLURMDialect: ScriptDialect {
    public static let system = BatchSystem.slurm
    public let directive = "#SBATCH"

    public init() {}

    public func headerLines(_ options: JobQueueOptions, memory: UInt64) -> [String] {
        let name = options.jobName
        var lines = ["-J \(name)"]
        if let log = options.logDirectory { lines += ["-e \(log)/\(name)-%J.err", "-o \(log)/\(name)-%J.out"] }
        if let queue = options.queue { lines.append("-p \(queue)") }
        if let account = options.account { lines.append("-A \(account)") }
        lines += ["-n 1", "--cpus-per-task=\(options.cores)", "--mem=\(BatchMemory.slurm(memory))"]
        if let walltime = options.walltime { lines.append("-t \(walltime)") }
        return lines
    }

    public func submit(_ jobFile: String) -> (command: [String], input: String?) { (["sbatch", jobFile], nil) }
    public func cancel(_ ids: [String]) -> [String] { ["scancel"] + ids }

    public func status(_ ids: [String]) -> [String] {
        ["squeue", "--noheader", "--format=%i %t", "--states=all", "--jobs=" + ids.joined(separator: ",")]
    }

    public func jobID(fromSubmitOutput output: String) -> String? { Self.firstInteger(after: "Submitted batch job", in: output) }

    public func listedStates(_ output: String, ids: [String]) -> [String: JobState] {
        var states: [String: JobState] = [:]
        for fields in Self.fields(output) where fields.count >= 2 { states[fields[0]] = Self.state(fields[1]) }
        return states
    }

    /// squeue's compact state codes.
    static func state(_ code: String) -> JobState {
        switch code {
        case "PD", "CF", "RQ", "RF", "RS", "RH", "S", "SI": .pending
        case "R", "CG", "SO", "ST": .running
        case "CD": .finished
        case "TO", "DL": .timedOut
        case "CA", "RV", "PR": .cancelled
        default: .failed  // F, NF, OOM, BF
        }
    }
}
