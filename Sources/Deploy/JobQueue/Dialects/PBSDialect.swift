import Foundation
import LoomCore

/// PBS Pro and Torque: `qsub`, `qstat -x -f -F json`, `qdel`; ids keep their server part.
public struct PBSDialect: ScriptDialect {
    public static let system = BatchSystem.pbs
    public let directive = "#PBS"

    public init() {}

    public func headerLines(_ options: JobQueueOptions, memory: UInt64) -> [String] {
        var lines = ["-N \(options.jobName)"]
        if let queue = options.queue { lines.append("-q \(queue)") }
        if let account = options.account { lines.append("-A \(account)") }
        lines.append("-l " + (options.resourceSpec ?? "select=1:ncpus=\(options.cores):mem=\(BatchMemory.pbs(memory))"))
        if let walltime = options.walltime { lines.append("-l walltime=\(walltime)") }
        if let log = options.logDirectory { lines += ["-e \(log)/", "-o \(log)/"] }
        return lines
    }

    public func submit(_ jobFile: String) -> (command: [String], input: String?) { (["qsub", jobFile], nil) }
    public func cancel(_ ids: [String]) -> [String] { ["qdel"] + ids }
    public func status(_ ids: [String]) -> [String] { ["qstat", "-x", "-f", "-F", "json"] + ids }

    /// `1234.server`: the whole id, which qdel wants.
    public func jobID(fromSubmitOutput output: String) -> String? {
        let id = output.split(whereSeparator: \.isWhitespace).first.map(String.init)
        return id.flatMap { $0.first?.isNumber == true ? $0 : nil }
    }

    public func listedStates(_ output: String, ids: [String]) -> [String: JobState] {
        guard let data = output.data(using: .utf8),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let jobs = json["Jobs"] as? [String: [String: Any]]
        else { return [:] }
        var states: [String: JobState] = [:]
        for (id, job) in jobs {
            states[id] = Self.state(job["job_state"] as? String ?? "", exitStatus: job["Exit_status"] as? Int ?? 0)
        }
        return states
    }

    static func state(_ code: String, exitStatus: Int) -> JobState {
        switch code {
        case "Q", "H", "W", "T", "S": .pending
        case "R", "E", "B": .running
        case "F", "X": exitStatus == 0 ? .finished : (exitStatus == -11 || exitStatus == 271 ? .timedOut : .failed)
        default: .failed
        }
    }
}
