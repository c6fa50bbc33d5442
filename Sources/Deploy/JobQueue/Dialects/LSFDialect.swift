import LoomCore

/// LSF: `bsub` (reading the script on standard input), `bjobs`, `bkill`; memory in decimal
/// units of `LSF_UNIT_FOR_LIMITS`, walltime as hours and minutes.
public struct LSFDialect: ScriptDialect {
    public static let system = BatchSystem.lsf
    public let directive = "#BSUB"

    public init() {}

    public func headerLines(_ options: JobQueueOptions, memory: UInt64) -> [String] {
        let name = options.jobName
        var lines = ["-J \(name)"]
        if let log = options.logDirectory { lines += ["-e \(log)/\(name)-%J.err", "-o \(log)/\(name)-%J.out"] }
        if let queue = options.queue { lines.append("-q \(queue)") }
        if let project = options.account { lines.append("-P \"\(project)\"") }
        lines.append("-n \(options.cores)")
        if options.cores > 1 { lines.append("-R \"span[hosts=1]\"") }
        lines.append("-M \(BatchMemory.lsf(memory))")
        if let walltime = options.walltime { lines.append("-W \(Walltime.hoursMinutes(walltime))") }
        return lines
    }

    public func submit(_ jobFile: String) -> (command: [String], input: String?) { (["bsub"], jobFile) }
    public func cancel(_ ids: [String]) -> [String] { ["bkill"] + ids }
    public func status(_ ids: [String]) -> [String] { ["bjobs", "-noheader", "-o", "jobid stat"] + ids }
    public func jobID(fromSubmitOutput output: String) -> String? { Self.firstInteger(after: "Job <", in: output) }

    public func listedStates(_ output: String, ids: [String]) -> [String: JobState] {
        var states: [String: JobState] = [:]
        for fields in Self.fields(output) where fields.count >= 2 { states[fields[0]] = Self.state(fields[1]) }
        return states
    }

    static func state(_ code: String) -> JobState {
        switch code {
        case "PEND", "PSUSP", "WAIT": .pending
        case "RUN", "USUSP", "SSUSP", "PROV": .running
        case "DONE": .finished
        default: .failed  // EXIT, ZOMBI, UNKWN
        }
    }
}
