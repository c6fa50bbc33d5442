import Foundation
import LoomCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

public struct SchedulerOptions: Sendable {
    /// Where it listens: 127.0.0.1 (this machine only), an interface's address, or 0.0.0.0
    /// (every interface: the address it tells others is then this host's outward one).
    public var host: String
    public var port: Int
    /// Frames larger than this close the connection that sent them.
    public var maximumFrame: Int
    /// How often the scheduler looks for work to steal.
    public var stealInterval: Duration
    /// The least time between two frames to one connection; messages in between go together.
    public var batchInterval: Duration
    /// A worker not heard from for this long is removed as lost (Dask's `worker-ttl`).
    public var workerTTL: Duration
    /// How long the work of a client whose connection dropped (without `close()`) is kept for
    /// it to reconnect, before it is released.
    public var clientTimeout: Duration
    /// The state machine's knobs (placement, queueing, stealing, `allowedFailures`).
    public var scheduling: SchedulerConfiguration
    /// Where the web dashboard listens: `":8787"` (the scheduler's host), `"HOST:PORT"`, a port
    /// of 0 for a free one; `nil` serves none. A busy port 8787 falls back to a free one.
    public var dashboardAddress: String?
    /// TLS for every connection (`tls://`); nil listens on plain TCP.
    public var security: Security?

    public init(host: String = "127.0.0.1", port: Int = 8786, maximumFrame: Int = Wire.defaultMaximumFrame,
                stealInterval: Duration = .milliseconds(100), batchInterval: Duration = defaultBatchInterval,
                workerTTL: Duration = .seconds(300), clientTimeout: Duration = .seconds(30),
                scheduling: SchedulerConfiguration = SchedulerConfiguration(), dashboardAddress: String? = nil,
                security: Security? = nil) {
        self.host = host
        self.port = port
        self.maximumFrame = maximumFrame
        self.stealInterval = stealInterval
        self.batchInterval = batchInterval
        self.workerTTL = workerTTL
        self.clientTimeout = clientTimeout
        self.scheduling = scheduling
        self.dashboardAddress = dashboardAddress
        self.security = security
    }
}

/// The scheduler process: accepts workers and clients, feeds what they say to the pure
/// `SchedulerState`, and sends each connection the messages the state decides.
///
/// A connection that sends a malformed or oversized frame, or breaks the protocol, is closed
/// with a logged reason; everyone else is served on.
public actor SchedulerServer {
    public let options: SchedulerOptions
    var logger = Logger.loom("loom.scheduler")
    var address: Address?
    var core: SchedulerCore
    /// Every open connection that said hello, by the number it was given on arrival (a
    /// worker's `WorkerID` is its connection's).
    var connections: [Int: SchedulerConnection] = [:]
    /// Clients by the name they connect with; a dropped client's work waits `clientTimeout`
    /// for it to reconnect under that name.
    var clientIDs: [String: ClientID] = [:]
    var clients: [ClientID: ClientRecord] = [:]
    /// Given to `init`; with the process's defaults (`DefaultSchedulerPlugins`) in `plugins` once running.
    let ownPlugins: [any SchedulerPlugin]
    var plugins: [any SchedulerPlugin] = []
    /// The plugins that hear task transitions (the state machine records them only for those).
    var transitionObservers: [any SchedulerPlugin] = []
    /// The `run` loops of scheduler plugins clients installed, by plugin name.
    var installedRuns: [String: Task<Void, Never>] = [:]
    /// Worker plugins clients installed, in order: every worker that joins sets them up.
    var workerPluginsToInstall: [(type: String, options: [UInt8])] = []
    /// Type → worker name → its error ("" for set up), as workers report it.
    var workerPluginReports: [String: [String: String]] = [:]
    /// Connections to workers, for asking them for their logs.
    let peers: PeerPool
    let transportSecurity: TransportSecurity?
    /// The dashboard's address once a plugin serves it: `http://HOST:PORT/status`.
    public nonisolated var dashboardLink: String? { publishedDashboard.withLock { $0 } }
    let publishedDashboard = Mutex<String?>(nil)
    var nextConnection = 1
    /// Work a message starts that outlives its handling (a retirement, a restart, a plugin's
    /// answer): `run()` runs each in its task group, so none outlives the server.
    private let background: AsyncStream<@Sendable () async -> Void>
    private let startBackground: AsyncStream<@Sendable () async -> Void>.Continuation
    /// Told where the scheduler listens, and its dashboard link, once it does.
    private let onListening: @Sendable (Address, _ dashboard: String?) -> Void

    /// - Parameters:
    ///   - plugins: run inside the scheduler besides those every scheduler of this process
    ///     starts with (`DefaultSchedulerPlugins`: the dashboard, once `Loom.bootstrap` ran).
    ///   - onListening: told the address others contact it at, and its dashboard's link if it
    ///     serves one, once `run()` listens.
    public init(options: SchedulerOptions = SchedulerOptions(), plugins: [any SchedulerPlugin] = [],
                onListening: @escaping @Sendable (Address, _ dashboard: String?) -> Void = { _, _ in }) throws {
        self.options = options
        self.onListening = onListening
        (background, startBackground) = AsyncStream.makeStream()
        ownPlugins = plugins
        transportSecurity = try options.security.map { try TransportSecurity($0, role: .scheduler) }
        peers = PeerPool(name: "scheduler", security: transportSecurity)
        core = SchedulerCore(configuration: options.scheduling)
    }

    /// Workers connected now.
    public var workerCount: Int { core.workerIDs.count }

    /// Listens and serves until cancelled, or until a graceful shutdown (ServiceLifecycle)
    /// ends it: then its plugins close and it returns. `onBound` receives the address others
    /// contact it at once listening (with port 0, the port the system picked; on 0.0.0.0,
    /// this host's outward address).
    public func run(onBound: @escaping @Sendable (Address) -> Void) async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.serve(onBound: onBound) }
        } catch where Task.isShuttingDownGracefully {
            return
        }
    }

    /// Starts work that outlives the message that asked for it, inside `run()`.
    func inBackground(_ work: @escaping @Sendable () async -> Void) {
        startBackground.yield(work)
    }

    private func serve(onBound: @Sendable (Address) -> Void) async throws {
        let listener = try await Transport.listen(
            host: options.host, port: options.port, security: transportSecurity, maximumFrame: options.maximumFrame)
        let bound = Address(
            host: await NetworkInterface.contactHost(forListening: options.host), port: listener.channel.localAddress?.port ?? options.port,
            scheme: Security.scheme(options.security))
        address = bound
        logger.info("scheduler listening", metadata: ["scheduler.address": "\(bound)"])
        try await listener.executeThenClose { connections in
            // Before anyone is accepted: a dashboard plugin publishes its link for the welcomes.
            try await startPlugins()
            do {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { await self.peers.run() }
                    for plugin in plugins { group.addTask { await plugin.run(self) } }
                    group.addTask {
                        await withDiscardingTaskGroup { work in
                            for await job in self.background { work.addTask { await job() } }
                        }
                    }
                    onBound(bound)
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: self.options.stealInterval)
                            await self.tick()
                        }
                    }
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            } catch {
                await closePlugins()
                throw error
            }
            await closePlugins()
        }
    }

    private func serve(_ connection: FrameChannel) async {
        let id = nextConnection
        nextConnection += 1
        let peer = connection.channel.remoteAddress?.description ?? "unknown peer"
        do {
            try await connection.executeThenClose { inbound, outbound in
                var batches = MessageBatches(frames: inbound).makeAsyncIterator()
                guard let first = try await batches.next(), case .hello(let hello) = first.first else {
                    try await outbound.send([.refused("the first message must be a hello")])
                    return
                }
                if let reason = refusal(of: hello) ?? unreachable(hello, from: connection.channel.remoteAddress) {
                    logger.info("refused a connection", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
                    try await outbound.send([.refused(reason)])
                    return
                }
                let outbox = Outbox(interval: options.batchInterval)
                outbox.post(.welcome(Welcome(scheduler: address?.description ?? "", dashboard: dashboardLink ?? "")))
                joined(id, hello, outbox: outbox)
                defer { left(id) }
                let remaining = Handoff(batches)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await outbox.drain(into: outbound) }
                    var batches = remaining.value
                    while let batch = try await batches.next() { try received(batch, from: id) }
                    outbox.close()
                    try await group.waitForAll()
                }
            }
        } catch let error as TLSFailure {
            // Someone without a certificate this cluster trusts, or not speaking TLS.
            logger.warning("refused a TLS connection", metadata: ["peer": "\(peer)", "reason": "\(error)"])
        } catch {
            logger.info("closed a connection", metadata: ["peer": "\(peer)", "reason": "\(error)"])
        }
        connections.removeValue(forKey: id)?.outbox.close()
    }

    /// Why a newcomer is refused: another protocol version, a peer role, or task functions whose
    /// types differ from those of the workers already here (named one by one).
    private func refusal(of hello: Hello) -> String? {
        guard hello.protocolVersion == Wire.protocolVersion else {
            return "protocol version \(hello.protocolVersion) is not this scheduler's \(Wire.protocolVersion); use the same Loom version everywhere"
        }
        switch hello.role {
        case .peer: return "peers talk to workers, not to the scheduler"
        case .client: return nil
        case .worker:
            guard let existing = anyWorker else { return nil }
            return TaskRegistry.mismatch(needed: existing.functions, available: hello.functions, where: "worker \(hello.name)")
                .map { "worker \(hello.name) has other task functions than worker \(existing.name): \($0)" }
        }
    }

    /// A worker on another host that advertises a loopback address would be contacted on the
    /// wrong machine by everyone else: refused, naming the flag that fixes it.
    private func unreachable(_ hello: Hello, from peer: SocketAddress?) -> String? {
        guard hello.role == .worker, let advertised = try? Address(parsing: hello.address), NetworkInterface.isLoopback(advertised.host),
              let from = peer?.ipAddress, !NetworkInterface.isLoopback(from)
        else { return nil }
        return """
            worker \(hello.name) advertises \(advertised), a loopback address, but connects from \(from): other hosts \
            could not reach it; start it with --host or --interface set to an address they can reach (or --contact-address)
            """
    }

    /// Says whether the workers can run these functions; the reason names each one they cannot.
    func unsupported(_ functions: [String: String]) -> String? {
        guard let available = anyWorker?.functions else { return nil }  // checked when a worker joins
        return TaskRegistry.mismatch(needed: functions, available: available, where: "the workers")
    }

    /// Forgets workers a cluster stopped on purpose, without waiting for their connections to drop.
    public func forget(workers names: [String]) {
        for (id, connection) in connections where connection.worker.map({ names.contains($0.hello.name) }) == true {
            left(id, retired: true)
        }
    }

    /// The hello of one worker taking part (they all have the same task functions).
    private var anyWorker: Hello? {
        core.workerIDs.first.flatMap { connections[$0.rawValue]?.worker?.hello }
    }

    /// The connection of the worker taking part under this name.
    func workerConnection(named name: String) -> Int? {
        connections.first { $0.value.worker?.hello.name == name }?.key
    }

    func workerName(_ id: WorkerID) -> String? { connections[id.rawValue]?.worker?.hello.name }
}

extension SchedulerServer: Service {
    /// Serves as `run(onBound:)` does, telling the `onListening` given to `init`.
    public nonisolated func run() async throws {
        try await run { address in self.onListening(address, self.dashboardLink) }
    }
}
