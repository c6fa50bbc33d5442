import Foundation
import LoomDistributed
import LoomCore

/// The job script (or HTCondor submit description) that starts one job's workers, with each
/// system's header lines and memory rules (see `BatchMemory`).
public enum JobScript {
    /// - Parameters:
    ///   - scheduler: the address workers connect to (`tcp://HOST:PORT`), or
    ///     `--scheduler-file PATH` arguments instead when `schedulerFile` is given.
    ///   - name: the job's worker name; with several processes they are NAME-0, NAME-1, …
    public static func render(_ system: BatchSystem, _ options: JobQueueOptions, scheduler: String,
                              schedulerFile: String? = nil, name: String) throws -> String {
        let (memory, perWorker) = try options.validated()
        let command = workerCommand(options, scheduler: scheduler, schedulerFile: schedulerFile, name: name, perWorker: perWorker)
        if system == .htcondor { return condorDescription(options, memory: memory, command: command) }
        let header = headerLines(system, options, memory: memory)
            .filter { line in !options.jobDirectivesSkip.contains { !$0.isEmpty && line.contains($0) } }
            + options.jobExtraDirectives
        var lines = [options.shebang, ""] + header.map { "\(system.directive) \($0)" } + [""]
        lines += options.jobScriptPrologue
        lines.append(command)
        lines += options.jobScriptEpilogue
        return lines.joined(separator: "\n") + "\n"
    }

    static func headerLines(_ system: BatchSystem, _ options: JobQueueOptions, memory: UInt64) -> [String] {
        let name = options.jobName, log = options.logDirectory
        var lines: [String] = []
        switch system {
        case .slurm:
            lines.append("-J \(name)")
            if let log { lines += ["-e \(log)/\(name)-%J.err", "-o \(log)/\(name)-%J.out"] }
            if let queue = options.queue { lines.append("-p \(queue)") }
            if let account = options.account { lines.append("-A \(account)") }
            lines += ["-n 1", "--cpus-per-task=\(options.cores)", "--mem=\(BatchMemory.slurm(memory))"]
            if let walltime = options.walltime { lines.append("-t \(walltime)") }
        case .pbs:
            lines.append("-N \(name)")
            if let queue = options.queue { lines.append("-q \(queue)") }
            if let account = options.account { lines.append("-A \(account)") }
            lines.append("-l " + (options.resourceSpec ?? "select=1:ncpus=\(options.cores):mem=\(BatchMemory.pbs(memory))"))
            if let walltime = options.walltime { lines.append("-l walltime=\(walltime)") }
            if let log { lines += ["-e \(log)/", "-o \(log)/"] }
        case .lsf:
            lines.append("-J \(name)")
            if let log { lines += ["-e \(log)/\(name)-%J.err", "-o \(log)/\(name)-%J.out"] }
            if let queue = options.queue { lines.append("-q \(queue)") }
            if let project = options.account { lines.append("-P \"\(project)\"") }
            lines.append("-n \(options.cores)")
            if options.cores > 1 { lines.append("-R \"span[hosts=1]\"") }
            lines.append("-M \(BatchMemory.lsf(memory))")
            if let walltime = options.walltime { lines.append("-W \(Walltime.hoursMinutes(walltime))") }
        case .sge:
            lines.append("-N \(name)")
            if let queue = options.queue { lines.append("-q \(queue)") }
            if let project = options.account { lines.append("-P \(project)") }
            if let spec = options.resourceSpec { lines.append("-l \(spec)") }
            if let walltime = options.walltime { lines.append("-l h_rt=\(walltime)") }
            lines += ["-cwd", "-j y"]
            if let log { lines += ["-e \(log)/", "-o \(log)/"] }
        case .oar:
            lines.append("-n \(name)")
            if let queue = options.queue { lines.append("-q \(queue)") }
            if let project = options.account { lines.append("--project \(project)") }
            // One -l line: OAR reads several as alternatives (a moldable job).
            lines.append("-l /nodes=1/core=\(options.cores)" + (options.walltime.map { ",walltime=\($0)" } ?? ""))
        case .htcondor:
            break
        }
        return lines
    }

    static func workerCommand(_ options: JobQueueOptions, scheduler: String, schedulerFile: String?, name: String, perWorker: UInt64) -> String {
        var arguments = [options.workerCommand ?? CurrentExecutable.path, "worker"]
        if let schedulerFile { arguments += ["--scheduler-file", schedulerFile] } else { arguments.append(scheduler) }
        arguments += [
            "--nthreads", "\(options.threadsPerWorker)", "--nworkers", "\(options.workerProcesses)",
            "--memory-limit", "\(perWorker)", "--name", name, "--death-timeout", "\(Int(options.deathTimeout.rounded()))",
        ]
        if let (lifetime, stagger) = lifetime(options) {
            arguments += ["--lifetime", "\(lifetime)", "--lifetime-stagger", "\(stagger)"]
        }
        if !options.nanny { arguments.append("--no-nanny") }
        if let directory = options.localDirectory { arguments += ["--local-directory", directory] }
        if let interface = options.interface { arguments += ["--interface", interface] }
        arguments += options.workerExtraArguments
        return arguments.map(shellQuoted).joined(separator: " ")
    }

    /// Workers retire gracefully before the walltime ends their job (their data copied to
    /// workers that stay, adapt starting replacements): a tenth of the walltime early, at least a
    /// minute, spread over half that margin so a job's workers do not all go at once.
    static func lifetime(_ options: JobQueueOptions) -> (lifetime: Int, stagger: Int)? {
        guard let walltime = options.walltime.flatMap(Walltime.seconds), walltime >= 120 else { return nil }
        let margin = max(60, walltime / 10)
        return (walltime - margin, margin / 2)
    }

    /// Single-quoted unless plainly safe; `$VARIABLES` stay expandable in `--local-directory`.
    static func shellQuoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,@%+$".contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func condorDescription(_ options: JobQueueOptions, memory: UInt64, command: String) -> String {
        let disk = (options.disk.flatMap { try? MemorySize.bytes($0) }) ?? memory
        let script = (options.jobScriptPrologue + [command] + options.jobScriptEpilogue).joined(separator: "; ")
        // HTCondor's new argument syntax: the whole string in double quotes, single quotes group,
        // and a literal single or double quote is doubled.
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
        lines = lines.filter { line in !options.jobDirectivesSkip.contains { !$0.isEmpty && line.contains($0) } }
        lines += options.jobExtraDirectives
        lines.append("Queue")
        return lines.joined(separator: "\n") + "\n"
    }
}
