import ArgumentParser
import Foundation
import LoomCore
import LoomDistributed

/// `loom worker tcp://HOST:PORT …`, also understood by any executable that calls
/// `Loom.bootstrap` first: job scripts and pods start *that* binary as a worker.
public struct WorkerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Start a worker that connects to a Loom scheduler.")

    @Argument(help: "The scheduler's address, tcp://HOST:PORT.")
    var scheduler: String

    @Option(help: "Threads running tasks (default: one per core).")
    var nthreads: Int?

    @Option(help: "Memory limit, e.g. 2GB or 1.5GiB (0: none).")
    var memoryLimit = "0"

    @Option(help: "Worker name (default: its address).")
    var name: String?

    @Option(help: "Workers to start in this process.")
    var nworkers = 1

    @Option(help: "Directory for spilled data and scratch files.")
    var localDirectory: String?

    @Option(help: "Abstract resources this worker offers, e.g. \"GPU=1,MEMORY=4e9\".")
    var resources: String?

    @Option(help: "Interface address to serve data on.")
    var host = "127.0.0.1"

    public init() {}

    public func validate() throws {
        _ = try Address(parsing: scheduler)
        guard nworkers >= 1 else { throw ValidationError("--nworkers must be at least 1") }
        if let nthreads, nthreads < 1 { throw ValidationError("--nthreads must be at least 1") }
        _ = try parsedResources()
        do { _ = try MemorySize.bytes(memoryLimit) } catch { throw ValidationError("\(error)") }
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
        let address = try Address(parsing: scheduler)
        let resources = try parsedResources()
        let limit = try MemorySize.bytes(memoryLimit)
        if let localDirectory { try FileManager.default.createDirectory(atPath: localDirectory, withIntermediateDirectories: true) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<nworkers {
                let workerName = name.map { nworkers == 1 ? $0 : "\($0)-\(index)" }
                let options = WorkerOptions(
                    scheduler: address, name: workerName, threads: nthreads ?? ProcessInfo.processInfo.activeProcessorCount,
                    memoryLimit: limit, host: host, resources: resources)
                group.addTask { try await WorkerServer(options: options).run() }
            }
            try await group.waitForAll()
        }
    }
}
