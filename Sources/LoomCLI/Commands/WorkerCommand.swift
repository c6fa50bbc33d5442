import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import LoomCore
import LoomDistributed

/// `loom worker tcp://HOST:PORT …`, also understood by any executable that calls
/// `Loom.bootstrap` first: job scripts and pods start *that* binary as a worker.
public struct WorkerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Start a worker that connects to a Loom scheduler.")

    @Argument(help: "The scheduler's address, tcp://HOST:PORT or tls://HOST:PORT (or give --scheduler-file).")
    var scheduler: String?

    @Option(help: "A file the scheduler wrote its address to (on a directory the nodes share).")
    var schedulerFile: String?

    @Option(help: "Threads running tasks (default: one per core).")
    var nthreads: Int?

    @Option(help: "Memory limit: 2GB, 1.5GiB, a fraction of the machine's memory (0.5), auto, or none (0).")
    var memoryLimit = "auto"

    @Option(help: "Worker name (default: its address).")
    var name: String?

    @Option(help: "Workers to start, each with its own nanny (or in this process with --no-nanny).")
    var nworkers = 1

    @Flag(inversion: .prefixedNo, help: "Supervise each worker in a nanny process that restarts it when it dies or passes its memory's terminate fraction.")
    var nanny = true

    @Option(help: "Directory for spilled data and scratch files.")
    var localDirectory: String?

    @Option(help: "Abstract resources this worker offers, e.g. \"GPU=1,MEMORY=4e9\".")
    var resources: String?

    @Option(help: "Seconds to keep trying to reach the scheduler before exiting.")
    var deathTimeout: Double = 60

    @Option(help: "Seconds after which the worker retires gracefully (before a batch job's walltime).")
    var lifetime: Double?

    @Option(help: "Up to this many seconds more, at random, so workers do not all retire at once.")
    var lifetimeStagger: Double = 0

    @Option(help: "Interface address to serve data on (default: the address this host reaches the scheduler from).")
    var host: String?

    @Option(help: "Network interface to serve data on (its IPv4 address), e.g. ib0; overrides --host.")
    var interface: String?

    @Option(help: "Port to serve data on (default: a free one).")
    var workerPort = 0

    @Option(help: "The address others reach this worker at, HOST or HOST:PORT, when not where it listens (NAT, containers).")
    var contactAddress: String?

    @OptionGroup var tls: TLSOptions
    @OptionGroup var lifeline: StandardInputLifeline

    public init() {}

    public func validate() throws {
        switch (scheduler, schedulerFile) {
        case (let scheduler?, nil): _ = try Address(parsing: scheduler)
        case (nil, _?): break
        case (_?, _?): throw ValidationError("give the scheduler's address or --scheduler-file, not both")
        case (nil, nil): throw ValidationError("give the scheduler's address (tcp://HOST:PORT) or --scheduler-file")
        }
        guard nworkers >= 1 else { throw ValidationError("--nworkers must be at least 1") }
        if nworkers > 1, let contactAddress, (try? Address(parsing: contactAddress)) != nil {
            throw ValidationError("--contact-address \(contactAddress) names a port, which \(nworkers) workers cannot share; give the host only")
        }
        if let nthreads, nthreads < 1 { throw ValidationError("--nthreads must be at least 1") }
        _ = try parsedResources()
        do { _ = try MemoryLimit.bytes(memoryLimit) } catch { throw ValidationError("\(error)") }
    }

    func parsedResources() throws -> [String: Double] {
        var parsed: [String: Double] = [:]
        for item in (resources ?? "").split(separator: ",") {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let amount = Double(parts[1]) else {
                throw ValidationError("--resources expects NAME=AMOUNT pairs, got '\(item)'")
            }
            parsed[String(parts[0]).trimmingCharacters(in: .whitespaces)] = amount
        }
        return parsed
    }

    public func run() async throws {
        LoomLogging.printInfoUnlessConfigured()
        lifeline.arm()
        var scheduler = self.scheduler ?? ""
        // Started before its scheduler (both from one batch script), a worker waits for the file.
        if let schedulerFile {
            if !FileManager.default.fileExists(atPath: schedulerFile) {
                FileHandle.standardError.write(Data("Waiting for the scheduler file \(schedulerFile) (up to \(deathTimeout) s)\n".utf8))
            }
            scheduler = try await SchedulerFile.read(schedulerFile, waiting: .seconds(deathTimeout)).address
        }
        let address = try Address(parsing: scheduler)
        let host = try interface.map(NetworkInterface.ipv4Address(of:)) ?? self.host
        let security = try tls.security(for: .worker)
        let resources = try parsedResources()
        let threads = nthreads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / nworkers)
        let limit = try MemoryLimit.bytes(memoryLimit, threads: threads, workers: nworkers) ?? 0
        let memory = try Configuration.current.section(WorkerMemoryFractions.self)
        if let localDirectory { try FileManager.default.createDirectory(atPath: localDirectory, withIntermediateDirectories: true) }
        func workerName(_ index: Int) -> String? { name.map { nworkers == 1 ? $0 : "\($0)-\(index)" } }
        if nanny {
            try await superviseWorkers(scheduler: scheduler, host: host, threads: threads, limit: limit, memory: memory, name: workerName)
            return
        }
        let workers = (0..<nworkers).map { index in
            var options = WorkerOptions(
                scheduler: address, name: workerName(index), threads: threads, memoryLimit: limit, host: host,
                port: workerPort == 0 ? 0 : workerPort + index, contactAddress: contactAddress, security: security, resources: resources, localDirectory: localDirectory, memory: memory, deathTimeout: .seconds(deathTimeout))
            options.lifetime = lifetime.map { .seconds($0) }
            options.lifetimeStagger = .seconds(lifetimeStagger)
            return options
        }
        do {
            // TERM or Ctrl-C stops the workers gracefully (ServiceLifecycle): they leave their
            // scheduler, tear their plugins down and remove their directories.
            // The workers ending by themselves (their scheduler went, or retired them) ends the
            // group once all have, not as a failure.
            try await ServiceGroup(configuration: ServiceGroupConfiguration(
                services: try workers.map { .init(service: try WorkerServer(options: $0), successTerminationBehavior: .ignore) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "loom.worker"))
            ).run()
        } catch is WorkerServer.RestartRequested {
            throw ExitCode(WorkerServer.RestartRequested.exitStatus)
        } catch let error as WorkerServer.SchedulerUnreachable {
            // A status of its own tells a nanny not to start the worker again.
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(WorkerServer.SchedulerUnreachable.exitStatus)
        }
    }

    /// One nanny per worker, each running this executable as `worker … --no-nanny`.
    private func superviseWorkers(scheduler: String, host: String?, threads: Int, limit: UInt64, memory: WorkerMemoryFractions,
                                  name workerName: (Int) -> String?) async throws {
        let executable = CurrentExecutable.path
        let nannies = (0..<nworkers).map { index in
            var arguments = [
                "worker", scheduler, "--no-nanny", "--nthreads", "\(threads)", "--memory-limit", "\(limit)",
                "--death-timeout", "\(deathTimeout)",
            ]
            if let host { arguments += ["--host", host] }
            if workerPort != 0 { arguments += ["--worker-port", "\(workerPort + index)"] }
            if let contactAddress { arguments += ["--contact-address", contactAddress] }
            arguments += tls.arguments
            if let name = workerName(index) { arguments += ["--name", name] }
            if let localDirectory { arguments += ["--local-directory", localDirectory] }
            if let resources { arguments += ["--resources", resources] }
            if let lifetime { arguments += ["--lifetime", "\(lifetime)", "--lifetime-stagger", "\(lifetimeStagger)"] }
            return Nanny(name: workerName(index) ?? "worker-\(index)", executable: executable, arguments: arguments, memoryLimit: limit, memory: memory)
        }
        // TERM or Ctrl-C (or the stdin lifeline) stops each nanny, which stops its worker
        // gracefully (TERM, then KILL after 3 s), instead of ending this process at once.
        try await ServiceGroup(configuration: ServiceGroupConfiguration(
            services: nannies.map { .init(service: $0, successTerminationBehavior: .ignore) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "loom.nanny"))
        ).run()
        if let failure = nannies.compactMap(\.failure).first { throw LoomError(.workerDied, failure) }
    }
}
