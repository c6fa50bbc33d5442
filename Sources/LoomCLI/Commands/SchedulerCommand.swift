import ArgumentParser
import Foundation
import Logging
import LoomCore
import LoomDistributed
import ServiceLifecycle

/// `loom scheduler …`, also understood by any executable that calls `Loom.bootstrap` first
/// (`myapp scheduler`): SSHCluster starts the user's own executable as the scheduler.
public struct SchedulerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Start a Loom scheduler; workers and clients connect to it.")

    @Option(help: "Interface address to listen on (default: every interface; the address printed is this host's outward one).")
    var host = "0.0.0.0"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8786

    @Option(help: "Network interface to listen on (its IPv4 address), e.g. ib0; overrides --host.")
    var interface: String?

    @Option(help: "Where the dashboard listens: :PORT or HOST:PORT (:0 picks a free port), or 'none'.")
    var dashboardAddress = ":8787"

    @Option(help: "Write the scheduler's address to this file (on a directory the nodes share) for `loom worker --scheduler-file`.")
    var schedulerFile: String?

    @OptionGroup var tls: TLSOptions
    @OptionGroup var lifeline: StandardInputLifeline

    public init() {}

    public func run() async throws {
        LogBuffer.installForThisProcess()
        LoomLogging.printInfoUnlessConfigured()
        let host = try interface.map(NetworkInterface.ipv4Address(of:)) ?? self.host
        lifeline.arm()
        let schedulerFile = self.schedulerFile
        if let schedulerFile {
            if NetworkInterface.isLoopback(host) {
                FileHandle.standardError.write(Data("""
                    Warning: the scheduler file will name \(host), which other nodes cannot reach; \
                    leave --host out (every interface) or use --interface NAME for workers elsewhere.\n
                    """.utf8))
            }
            // Workers started later must not find an old address (removed at exit, and when
            // the scheduler stops on a signal, below).
            _ = CleanupAtExit.shared.add(onSignals: false) { try? FileManager.default.removeItem(atPath: schedulerFile) }
        }
        let onListening: @Sendable (Address, String?) -> Void = { address, dashboard in
            if let schedulerFile {
                do {
                    try SchedulerFile(address: address.description, dashboard: dashboard).write(to: schedulerFile)
                } catch {
                    // Workers would wait for the file in vain: say so and stop.
                    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                    Foundation.exit(1)
                }
            }
            // Unbuffered, so a script reading the pipe sees it at once.
            FileHandle.standardOutput.write(Data("Scheduler at: \(address)\n".utf8))
            if let dashboard { FileHandle.standardOutput.write(Data("Dashboard at: \(dashboard)\n".utf8)) }
        }
        let server = try SchedulerServer(options: SchedulerOptions(
            host: host, port: port, scheduling: .configured(try Configuration.current),
            dashboardAddress: dashboardAddress == "none" ? nil : dashboardAddress, security: try tls.security(for: .scheduler)),
            // A cluster elsewhere (SSHCluster) scales through it.
            plugins: [ClusterControlPlugin()], onListening: onListening)
        // TERM, Ctrl-C or HUP stop it gracefully (ServiceLifecycle): plugins close, the
        // dashboard ends its pages' streams, nothing logs an error.
        try await ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint, .sighup], logger: Logger(label: "loom.scheduler"))
        ).run()
        if let schedulerFile { try? FileManager.default.removeItem(atPath: schedulerFile) }
    }
}
