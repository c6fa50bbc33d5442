import LoomCore

/// What sets one batch system apart from the others: the job file it runs, the commands that
/// submit, cancel and list jobs, and how to read their answers. Each system's dialect is a
/// file of its own (`SLURMDialect`, …); the cluster, the launcher and the limits are shared.
public protocol BatchDialect: Sendable {
    /// Which system this is: its `jobqueue.<system>` section in loom.yaml, `loom job-script <system>`.
    static var system: BatchSystem { get }
    init()
    /// The job's file in its folder (`job.sh`, `job.submit`).
    var jobFileName: String { get }
    /// Whether a job's output goes to its own folder when no log directory is set.
    var logsToJobFolder: Bool { get }
    /// The job file that runs `command` (the workers) with `memory` bytes for the whole job.
    func jobFile(_ options: JobQueueOptions, memory: UInt64, command: String) -> String
    /// The command that submits the job file, and the file to feed it on standard input.
    func submit(_ jobFile: String) -> (command: [String], input: String?)
    func cancel(_ ids: [String]) -> [String]
    func status(_ ids: [String]) -> [String]
    /// The job id in what the submit command printed.
    func jobID(fromSubmitOutput output: String) -> String?
    /// The states of the jobs the status command's output lists.
    func listedStates(_ output: String, ids: [String]) -> [String: JobState]
}

extension BatchDialect {
    public var jobFileName: String { "job.sh" }
    public var logsToJobFolder: Bool { true }

    /// States of the jobs `ids` in the status command's output; a job not listed has ended.
    public func states(fromStatusOutput output: String, ids: [String]) -> [String: JobState] {
        var states = listedStates(output, ids: ids)
        for id in ids where states[id] == nil { states[id] = .finished }
        return states
    }

    /// The whitespace-separated fields of each line.
    static func fields(_ output: String) -> [[String]] {
        output.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
    }

    /// The digits after `marker` in `output`: how most submit commands print the new job's id.
    static func firstInteger(after marker: String, in output: String) -> String? {
        guard let range = output.range(of: marker) else { return nil }
        let digits = output[range.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
        return digits.isEmpty ? nil : String(digits)
    }
}

/// A batch system whose jobs are shell scripts with a header of directives (all but HTCondor).
public protocol ScriptDialect: BatchDialect {
    /// What each header line starts with: `#SBATCH`.
    var directive: String { get }
    /// The header's directives (without `directive`) for a job of `memory` bytes.
    func headerLines(_ options: JobQueueOptions, memory: UInt64) -> [String]
}

extension ScriptDialect {
    /// The shebang, the header (less what `jobDirectivesSkip` names, plus `jobExtraDirectives`),
    /// then the prologue, the workers' command and the epilogue.
    public func jobFile(_ options: JobQueueOptions, memory: UInt64, command: String) -> String {
        let header = headerLines(options, memory: memory).filter { !options.skipsDirective($0) } + options.jobExtraDirectives
        var lines = [options.shebang, ""] + header.map { "\(directive) \($0)" } + [""]
        lines += options.jobScriptPrologue
        lines.append(command)
        lines += options.jobScriptEpilogue
        return lines.joined(separator: "\n") + "\n"
    }
}

extension JobQueueOptions {
    /// Whether `jobDirectivesSkip` leaves out this header line.
    func skipsDirective(_ line: String) -> Bool {
        jobDirectivesSkip.contains { !$0.isEmpty && line.contains($0) }
    }
}

extension BatchSystem {
    /// This system's dialect.
    public var dialect: any BatchDialect {
        switch self {
        case .slurm: SLURMDialect()
        case .pbs: PBSDialect()
        case .lsf: LSFDialect()
        case .sge: SGEDialect()
        case .htcondor: HTCondorDialect()
        case .oar: OARDialect()
        }
    }
}
