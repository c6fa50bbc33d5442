import Foundation
import LoomDistributed
import LoomCore

/// The job script (or HTCondor submit description) that starts one job's workers: the workers'
/// command is the same everywhere, the rest is the system's `BatchDialect`.
public enum JobScript {
    /// - Parameters:
    ///   - scheduler: the address workers connect to (`tcp://HOST:PORT`), or
    ///     `--scheduler-file PATH` arguments instead when `schedulerFile` is given.
    ///   - name: the job's worker name; with several processes they are NAME-0, NAME-1, …
    public static func render(_ system: BatchSystem, _ options: JobQueueOptions, scheduler: String,
                              schedulerFile: String? = nil, name: String) throws -> String {
        let (memory, perWorker) = try options.validated()
        let command = workerCommand(options, scheduler: scheduler, schedulerFile: schedulerFile, name: name, perWorker: perWorker)
        return system.dialect.jobFile(options, memory: memory, command: command)
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
        return arguments.map { ShellWord.quoted($0, keepingVariables: true) }.joined(separator: " ")
    }

    /// Workers retire gracefully before the walltime ends their job (their data copied to
    /// workers that stay, adapt starting replacements): a tenth of the walltime early, at least a
    /// minute, spread over half that margin so a job's workers do not all go at once.
    static func lifetime(_ options: JobQueueOptions) -> (lifetime: Int, stagger: Int)? {
        guard let walltime = options.walltime.flatMap(Walltime.seconds), walltime >= 120 else { return nil }
        let margin = max(60, walltime / 10)
        return (walltime - margin, margin / 2)
    }
}
