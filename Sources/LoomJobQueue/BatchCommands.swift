import Foundation
import LoomDistributed
import LoomCore

/// Where a batch job stands, mapped from each system's own states (as Parsl and HyperQueue do).
public enum JobState: String, Sendable, Codable {
    /// Not submitted yet: held back by the cluster's `SubmissionLimits`.
    case waiting
    case pending, running, finished, failed, timedOut, cancelled

    var isOver: Bool { self != .waiting && self != .pending && self != .running }
}

/// Each batch system's command line: submit, cancel, status, and reading their answers.
struct BatchCommands: Sendable {
    let system: BatchSystem

    /// The command that submits `script`, and the file to feed it on standard input (LSF).
    func submit(_ script: String) -> (command: [String], input: String?) {
        switch system {
        case .slurm: (["sbatch", script], nil)
        case .pbs, .sge: (["qsub", script], nil)
        case .lsf: (["bsub"], script)
        case .htcondor: (["condor_submit", script], nil)
        case .oar: (["oarsub", "-S", script], nil)
        }
    }

    func cancel(_ ids: [String]) -> [String] {
        switch system {
        case .slurm: ["scancel"] + ids
        case .pbs, .sge: ["qdel"] + ids
        case .lsf: ["bkill"] + ids
        case .htcondor: ["condor_rm"] + ids
        case .oar: ["oardel"] + ids
        }
    }

    func status(_ ids: [String]) -> [String] {
        switch system {
        case .slurm: ["squeue", "--noheader", "--format=%i %t", "--states=all", "--jobs=" + ids.joined(separator: ",")]
        case .pbs: ["qstat", "-x", "-f", "-F", "json"] + ids
        case .lsf: ["bjobs", "-noheader", "-o", "jobid stat"] + ids
        case .sge: ["qstat"]
        case .htcondor: ["condor_q"] + ids + ["-af:jr", "JobStatus"]
        case .oar: ["oarstat", "-s"] + ids.flatMap { ["-j", $0] }
        }
    }

    /// The job id in what the submit command printed.
    func jobID(fromSubmitOutput output: String) -> String? {
        func firstInteger(after marker: String) -> String? {
            guard let range = output.range(of: marker) else { return nil }
            let digits = output[range.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
            return digits.isEmpty ? nil : String(digits)
        }
        switch system {
        case .slurm: return firstInteger(after: "Submitted batch job")
        case .pbs:
            // `1234.server`: the whole id, which qdel wants.
            let id = output.split(whereSeparator: \.isWhitespace).first.map(String.init)
            return id.flatMap { $0.first?.isNumber == true ? $0 : nil }
        case .lsf: return firstInteger(after: "Job <")
        case .sge: return firstInteger(after: "Your job")
        case .htcondor: return firstInteger(after: "submitted to cluster")
        case .oar: return firstInteger(after: "OAR_JOB_ID=")
        }
    }

    /// States of the jobs `ids` in the status command's output; a job not listed has ended.
    func states(fromStatusOutput output: String, ids: [String]) -> [String: JobState] {
        var states: [String: JobState] = [:]
        let lines = output.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
        switch system {
        case .slurm:
            for fields in lines where fields.count >= 2 { states[fields[0]] = Self.slurmState(fields[1]) }
        case .sge:
            // job-ID prior name user state submit/start-at queue slots
            for fields in lines where fields.count >= 5 && ids.contains(fields[0]) { states[fields[0]] = Self.sgeState(fields[4]) }
        case .lsf:
            for fields in lines where fields.count >= 2 { states[fields[0]] = Self.lsfState(fields[1]) }
        case .htcondor:
            // With -af:jr: "C.P status" per job.
            for fields in lines where fields.count >= 2 {
                let cluster = String(fields[0].prefix { $0 != "." })
                states[cluster] = Self.condorState(fields[1])
            }
        case .oar:
            // "ID: Running"
            for fields in lines where fields.count >= 2 {
                states[String(fields[0].dropLast(fields[0].hasSuffix(":") ? 1 : 0))] = Self.oarState(fields[1])
            }
        case .pbs:
            if let data = output.data(using: .utf8),
               let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let jobs = json["Jobs"] as? [String: [String: Any]] {
                for (id, job) in jobs {
                    let state = job["job_state"] as? String ?? ""
                    let exit = job["Exit_status"] as? Int ?? 0
                    states[id] = Self.pbsState(state, exitStatus: exit)
                }
            }
        }
        for id in ids where states[id] == nil { states[id] = .finished }
        return states
    }

    static func slurmState(_ code: String) -> JobState {
        switch code {
        case "PD", "CF", "RQ", "RF", "RS", "RH", "S", "SI": .pending
        case "R", "CG", "SO", "ST": .running
        case "CD": .finished
        case "TO", "DL": .timedOut
        case "CA", "RV", "PR": .cancelled
        default: .failed  // F, NF, OOM, BF
        }
    }

    static func sgeState(_ code: String) -> JobState {
        if code.contains("E") { return .failed }
        if code.contains("d") { return .cancelled }
        if code.contains("r") || code.contains("t") || code.contains("R") { return .running }
        return .pending  // qw, hqw, …
    }

    static func lsfState(_ code: String) -> JobState {
        switch code {
        case "PEND", "PSUSP", "WAIT": .pending
        case "RUN", "USUSP", "SSUSP", "PROV": .running
        case "DONE": .finished
        default: .failed  // EXIT, ZOMBI, UNKWN
        }
    }

    static func condorState(_ code: String) -> JobState {
        switch code {
        case "1": .pending
        case "2", "6": .running
        case "4": .finished
        case "3": .cancelled
        default: .failed  // 5 held, 7 suspended
        }
    }

    static func oarState(_ word: String) -> JobState {
        switch word.lowercased() {
        case "waiting", "hold", "toLaunch".lowercased(), "launching": .pending
        case "running", "finishing": .running
        case "terminated": .finished
        default: .failed  // Error
        }
    }

    static func pbsState(_ code: String, exitStatus: Int) -> JobState {
        switch code {
        case "Q", "H", "W", "T", "S": .pending
        case "R", "E", "B": .running
        case "F", "X": exitStatus == 0 ? .finished : (exitStatus == -11 || exitStatus == 271 ? .timedOut : .failed)
        default: .failed
        }
    }
}
