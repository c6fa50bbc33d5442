import LoomCore

/// Grid Engine: `qsub`, `qstat` (every job of the user: it takes no ids), `qdel`.
public struct SGEDialect: ScriptDialect {
    public static let system = BatchSystem.sge
    public let directive = "#$"

    public init() {}

    public func headerLines(_ options: JobQueueOptions, memory: UInt64) -> [String] {
        var lines = ["-N \(options.jobName)"]
        if let queue = options.queue { lines.append("-q \(queue)") }
        if let project = options.account { lines.append("-P \(project)") }
        if let spec = options.resourceSpec { lines.append("-l \(spec)") }
        if let walltime = options.walltime { lines.append("-l h_rt=\(walltime)") }
        lines += ["-cwd", "-j y"]
        if let log = options.logDirectory { lines += ["-e \(log)/", "-o \(log)/"] }
        return lines
    }

    public func submit(_ jobFile: String) -> (command: [String], input: String?) { (["qsub", jobFile], nil) }
    public func cancel(_ ids: [String]) -> [String] { ["qdel"] + ids }
    public func status(_ ids: [String]) -> [String] { ["qstat"] }
    public func jobID(fromSubmitOutput output: String) -> String? { Self.firstInteger(after: "Your job", in: output) }

    /// `job-ID prior name user state submit/start-at queue slots`, for every job of the user.
    public func listedStates(_ output: String, ids: [String]) -> [String: JobState] {
        var states: [String: JobState] = [:]
        for fields in Self.fields(output) where fields.count >= 5 && ids.contains(fields[0]) { states[fields[0]] = Self.state(fields[4]) }
        return states
    }

    static func state(_ code: String) -> JobState {
        if code.contains("E") { return .failed }
        if code.contains("d") { return .cancelled }
        if code.contains("r") || code.contains("t") || code.contains("R") { return .running }
        return .pending  // qw, hqw, …
    }
}
