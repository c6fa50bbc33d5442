import Foundation
import LoomCore
import LoomDistributed
import Logging
import ServiceLifecycle
import Synchronization

/// The scheduler plugin that serves the web dashboard and its HTTP API (`DashboardServer`),
/// from what the scheduler, the `DiagnosticsPlugin` and the `MetricsPlugin` know.
///
/// It listens once the scheduler does, and publishes its link, which clients learn in their
/// welcome (`client.dashboardLink`). A busy port 8787 falls back to a free one, as Dask does;
/// a dashboard that fails never takes the scheduler down with it.
public final class DashboardPlugin: SchedulerPlugin {
    public let name = "dashboard"
    /// The pages read task transitions from the diagnostics plugin.
    public var observesTransitions: Bool { false }
    public let host: String
    public let port: Int
    /// Where the pages' task stream, profile and metrics come from: the scheduler's own
    /// `diagnostics` and `metrics` plugins once started (a program may replace them).
    private let sources: Mutex<(diagnostics: DiagnosticsPlugin, metrics: MetricsPlugin)>
    var diagnostics: DiagnosticsPlugin { sources.withLock { $0.diagnostics } }
    var metrics: MetricsPlugin { sources.withLock { $0.metrics } }
    private let session = Mutex<(scheduler: SchedulerServer?, serving: Task<Void, Never>?)>((nil, nil))
    /// The server's service group while it runs, and whether `close` asked it to stop.
    private let shutdown = Mutex<(group: ServiceGroup?, closing: Bool)>((nil, false))
    private let sampler = Mutex(ProcessSampler())
    /// The live view, shared by every open page for up to 250 ms.
    private let cachedSnapshot = Mutex<(ContinuousClock.Instant, DashboardSnapshot)?>(nil)
    private let logger = Logger.loom("loom.dashboard")

    /// - Parameters:
    ///   - address: `":8787"` (the scheduler's host), `"HOST:PORT"`, a port of 0 for a free one.
    ///   - schedulerHost: the host `":PORT"` means.
    public init(address: String, schedulerHost: String, diagnostics: DiagnosticsPlugin, metrics: MetricsPlugin) throws {
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (0...65_535).contains(port) else {
            throw LoomError(.configuration, "dashboard address '\(address)' is not HOST:PORT or :PORT")
        }
        host = parts[0].isEmpty ? schedulerHost : String(parts[0])
        self.port = port
        sources = Mutex((diagnostics, metrics))
    }

    var scheduler: SchedulerServer? { session.withLock { $0.scheduler } }

    public func start(_ scheduler: SchedulerServer) async throws {
        let running = (await scheduler.plugin(named: "diagnostics") as? DiagnosticsPlugin, await scheduler.plugin(named: "metrics") as? MetricsPlugin)
        if running.0 == nil || running.1 == nil {
            logger.warning("the scheduler runs no Loom diagnostics or metrics plugin: the dashboard's task stream, profile or metrics stay empty")
        }
        sources.withLock { current in current = (running.0 ?? current.diagnostics, running.1 ?? current.metrics) }
        let (bound, announce) = AsyncStream.makeStream(of: String?.self)
        // Unstructured: the dashboard must listen before `start` returns (its link goes into
        // the first welcome), and Hummingbird binds only inside its own `run`.
        let serving = Task { [host, port, logger] in
            do {
                do {
                    try await self.serve(port: port) { announce.yield(await Self.link(host, $0)) }
                } catch where port == 8787 && !self.isClosing {
                    logger.warning("port 8787 is busy; the dashboard takes a free port")
                    try await self.serve(port: 0) { announce.yield(await Self.link(host, $0)) }
                }
            } catch {
                if !self.isClosing { logger.error("the dashboard stopped: \(error)") }
            }
            announce.yield(nil)
            announce.finish()
        }
        session.withLock { $0 = (scheduler, serving) }
        var links = bound.makeAsyncIterator()
        // The first word: the link once it listens, or nil if it could not.
        let link = await links.next() ?? nil
        scheduler.publishDashboard(link: link)
        if let link { logger.info("dashboard at \(link)") }
    }

    /// Stops the server gracefully (open pages' live updates end), so nothing logs an error.
    public func close() async {
        let serving = session.withLock { current in
            defer { current = (nil, nil) }
            return current.serving
        }
        let group = shutdown.withLock { state in
            state.closing = true
            return state.group
        }
        await group?.triggerGracefulShutdown()
        // Open requests are waited for, but not for ever (a worker's logs that never come).
        await withTaskGroup(of: Void.self) { waiting in
            waiting.addTask { await serving?.value }
            waiting.addTask {
                try? await Task.sleep(for: .seconds(5))
                serving?.cancel()
            }
            await waiting.next()
            waiting.cancelAll()
        }
        await serving?.value
    }

    private var isClosing: Bool { shutdown.withLock { $0.closing } }

    /// Runs the server on `port` until `close`.
    private func serve(port: Int, onBound: @escaping @Sendable (Int) async -> Void) async throws {
        var quiet = logger
        quiet.logLevel = .warning
        let group = ServiceGroup(services: [DashboardServer(dashboard: self, host: host, port: port).application(onBound: onBound)], logger: quiet)
        let closing = shutdown.withLock { state in
            state.group = group
            return state.closing
        }
        if closing { return }
        try await group.run()
    }

    /// Others cannot open 0.0.0.0: the link names this host's outward address then.
    private static func link(_ host: String, _ port: Int) async -> String {
        let shown = await NetworkInterface.contactHost(forListening: host)
        return "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)/status"
    }

    // MARK: What the pages show

    /// The dashboard's view now, with task-stream entries from sequence `streamFrom` on. With
    /// `shared` (live updates), the rest is computed at most every 250 ms and shared, however
    /// many pages are open.
    func snapshot(streamFrom: Int, streamLimit: Int = 5_000, shared: Bool = false) async -> DashboardSnapshot {
        let now = ContinuousClock.now
        var snapshot: DashboardSnapshot
        if shared, let (taken, cached) = cachedSnapshot.withLock({ $0 }), now - taken < .milliseconds(250) {
            snapshot = cached
        } else {
            snapshot = await freshSnapshot()
            cachedSnapshot.withLock { $0 = (now, snapshot) }
        }
        snapshot.stream = diagnostics.recorded.withLock { $0.streamEntries(from: streamFrom, limit: streamLimit) }
        return snapshot
    }

    private func freshSnapshot() async -> DashboardSnapshot {
        guard let scheduler else { return DashboardSnapshot(time: 0, workers: [], progress: [:], tasks: [:], stream: [], adaptiveTarget: 0, system: sampler.withLock { $0.sample() }) }
        let workers = await scheduler.workerStatuses().map(DashboardSnapshot.Worker.init)
        let counts = await scheduler.taskCounts()
        return DashboardSnapshot(
            time: Date().timeIntervalSince1970, workers: workers, progress: await scheduler.progressByFunction(),
            tasks: Dictionary(uniqueKeysWithValues: counts.map { ("\($0.key)", $0.value) }),
            stream: [], adaptiveTarget: await scheduler.adaptiveTarget(targetDuration: .seconds(5)),
            system: sampler.withLock { $0.sample() })
    }

    func profile() -> [String: FunctionProfile] { diagnostics.recorded.withLock { $0.profile() } }

    func streamEntries(from first: Int) -> [TaskStreamEntry] { diagnostics.recorded.withLock { $0.streamEntries(from: first) } }

    /// `/metrics`: Prometheus text, agreeing with the state at this moment.
    func metricsText() async -> String {
        let transferred = profile().values.reduce(0) { $0 + $1.transferBytes }
        return metrics.exposition(await snapshot(streamFrom: .max), transferBytes: transferred)
    }

    /// The advisor's view of everything recorded so far.
    func bottlenecks() async -> [Bottleneck] {
        let snapshot = await snapshot(streamFrom: .max)
        let (profile, stream) = diagnostics.recorded.withLock { ($0.profile(), $0.streamEntries(from: 0)) }
        return BottleneckAdvisor.advise(
            profile: profile, stream: stream, workers: snapshot.workers,
            waitingTasks: (snapshot.tasks["queued"] ?? 0) + (snapshot.tasks["noWorker"] ?? 0))
    }
}
