import LoomCore

/// OAR: `oarsub -S`, `oarstat -s`, `oardel`; one `-l` line, as OAR reads several as alternatives.
public struct OARDialect: ScriptDialect {
    public static let system = BatchSystem.oar
    public let directive = "#OAR"

    public init() {}

    public func headerLines(_ options: JobQueueOptions, memory: UInt64) -> [String] {
        var lines = ["-n \(options.jobName)"]
        if let queue = options.queue { lines.append("-q \(queue)") }
        if let project = options.account { lines.append("--project \(project)") }
        lines.append("-l /nodes=1/core=\(options.cores)" + (options.walltime.map { ",walltime=\($0)" } ?? ""))
        return lines
    }

    public func submit(_ jobFile: String) -> (command: [String], input: String?) { (["oarsub", "-S", jobFile], nil) }
    public func cancel(_ ids: [String]) -> [String] { ["oardel"] + ids }
    public func status(_ ids: [String]) -> [String] { ["oarstat", "-s"] + ids.flatMap { ["-j", $0] } }
    public func jobID(fromSubmitOutput output: String) -> String? { Self.firstInteger(after: "OAR_JOB_ID=", in: output) }

    /// `ID: Running` per job.
    public func listedStates(_ output: String, ids: [String]) -> [String: JobState] {
        var states: [String: JobState] = [:]
        for fields in Self.fields(output) where fields.count >= 2 {
            states[String(fields[0].dropLast(fields[0].hasSuffix(":") ? 1 : 0))] = Self.state(fields[1])
        }
        return states
    }

    static func state(_ word: String) -> JobState {
        switch word.lowercased() {
        case "waiting", "hold", "tolaunch", "launching": .pending
        case "running", "finishing": .running
        case "terminated": .finished
        default: .failed  // Error
        }
    }
}
