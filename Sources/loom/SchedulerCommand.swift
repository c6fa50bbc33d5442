import ArgumentParser
import Foundation
import Loom

struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Start a Loom scheduler; workers and clients connect to it.")

    @Option(help: "Interface address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8786

    @Option(help: "Where the dashboard listens: :PORT or HOST:PORT (:0 picks a free port), or 'none'.")
    var dashboardAddress = ":8787"

    func run() async throws {
        LogBuffer.installForThisProcess()
        let server = SchedulerServer(options: SchedulerOptions(
            host: host, port: port, scheduling: .configured(try Configuration.current),
            dashboardAddress: dashboardAddress == "none" ? nil : dashboardAddress))
        try await server.run { address in
            // Unbuffered, so a script reading the pipe sees it at once.
            FileHandle.standardOutput.write(Data("Scheduler at: \(address)\n".utf8))
            if let link = server.dashboardLink { FileHandle.standardOutput.write(Data("Dashboard at: \(link)\n".utf8)) }
        }
    }
}
