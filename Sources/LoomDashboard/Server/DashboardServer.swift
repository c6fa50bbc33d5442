import Foundation
import Hummingbird
import LoomCore
import LoomDistributed
import Logging
import NIOCore
import ServiceLifecycle

/// The scheduler's web dashboard and HTTP API, served with Hummingbird.
///
/// Pages (one embedded single-page app; no CDN, clusters are often offline): `/status`,
/// `/workers`, `/jobs`, `/pods`, `/cloud`, `/logs`, `/profile`, `/graph`, `/system`. Live updates come as server-sent
/// events from `/events`, twice a second. API: `/health`, `/metrics` (Prometheus text),
/// `/api/status`, `/api/workers`, `/api/jobs`, `/api/pods`, `/api/cloud`, `/api/tasks`, `/api/adaptive`, `/api/profile`, `/api/graph`,
/// `/api/logs?worker=NAME&n=N`, `/api/stream?from=SEQUENCE`.
struct DashboardServer: Sendable {
    let dashboard: DashboardPlugin
    let host: String
    let port: Int
    /// Graphs with more tasks than this are not drawn.
    static let graphLimit = 1_000
    /// Live updates: twice a second. Measured with `bench/run dashboard-overhead` on 2 cores,
    /// four a second (and drawing every finished task) cost a browser-watched cluster 15 %.
    static let updateInterval: Duration = .milliseconds(500)

    /// The server as a ServiceLifecycle service, so it can stop gracefully: `onBound` gets the
    /// port (the system's pick for port 0) once it listens.
    func application(onBound: @escaping @Sendable (Int) async -> Void) -> some Service {
        let router = Router()
        let dashboard = self.dashboard
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/status"]) }
        for page in ["status", "workers", "jobs", "pods", "cloud", "logs", "profile", "graph", "system"] {
            router.get(RouterPath(page)) { _, _ in
                // The page comes with the state of the moment, so it shows it as soon as it loads.
                let snapshot = await dashboard.snapshot(streamFrom: 0, streamLimit: 2_000)
                var initial = "<script>window.loomInitial = \(try Self.script(snapshot));"
                if page == "jobs" { initial += " window.loomJobs = \(try Self.script(JSONValue(await dashboard.scheduler?.pluginStatus(named: "jobs"))));" }
                if page == "pods" { initial += " window.loomPods = \(try Self.script(JSONValue(await dashboard.scheduler?.pluginStatus(named: "kubernetes"))));" }
                if page == "cloud" { initial += " window.loomCloud = \(try Self.script(JSONValue(await dashboard.scheduler?.pluginStatus(named: "cloud"))));" }
                let html = DashboardAssets.html.replacingOccurrences(of: "<!--initial-->", with: initial + "</script>")
                return Self.asset(html, type: "text/html; charset=utf-8")
            }
        }
        router.get("/static/dashboard.js") { _, _ in Self.asset(DashboardAssets.helpers + "\n" + DashboardAssets.javascript, type: "text/javascript; charset=utf-8") }
        router.get("/static/dashboard.css") { _, _ in Self.asset(DashboardAssets.css, type: "text/css; charset=utf-8") }
        router.get("/health") { _, _ in "ok" }
        router.get("/metrics") { _, _ in
            Self.asset(await dashboard.metricsText(), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/status") { request, _ in
            try Self.json(await dashboard.snapshot(streamFrom: Self.integer(request, "from") ?? Int.max))
        }
        router.get("/api/workers") { _, _ in try Self.json(await dashboard.snapshot(streamFrom: .max).workers) }
        router.get("/api/jobs") { _, _ in try Self.json(JSONValue(await dashboard.scheduler?.pluginStatus(named: "jobs"))) }
        router.get("/api/pods") { _, _ in try Self.json(JSONValue(await dashboard.scheduler?.pluginStatus(named: "kubernetes"))) }
        router.get("/api/cloud") { _, _ in try Self.json(JSONValue(await dashboard.scheduler?.pluginStatus(named: "cloud"))) }
        router.get("/api/plugins") { _, _ in
            try Self.json(await dashboard.scheduler?.pluginStatuses().mapValues { JSONValue($0) } ?? [:])
        }
        router.get("/api/tasks") { _, _ in try Self.json(await dashboard.snapshot(streamFrom: .max).tasks) }
        router.get("/api/adaptive") { _, _ in
            let snapshot = await dashboard.snapshot(streamFrom: .max)
            return try Self.json(["target": snapshot.adaptiveTarget, "workers": snapshot.workers.count])
        }
        router.get("/api/profile") { _, _ in try Self.json(dashboard.profile()) }
        router.get("/api/advice") { _, _ in try Self.json(await dashboard.bottlenecks()) }
        router.get("/api/graph") { _, _ in
            guard let scheduler = dashboard.scheduler else { return try Self.json(["refused": "The scheduler has stopped."]) }
            let (graph, count) = await scheduler.graph(limit: Self.graphLimit)
            if let graph { return try Self.json(graph) }
            return try Self.json(["refused": "The graph has \(count) tasks; it is drawn only up to \(Self.graphLimit)."])
        }
        router.get("/api/stream") { request, _ in
            try Self.json(dashboard.streamEntries(from: Self.integer(request, "from") ?? 0))
        }
        router.get("/api/logs") { request, _ in
            let count = Self.integer(request, "n") ?? 200
            guard let worker = request.uri.queryParameters["worker"].map(String.init), !worker.isEmpty else {
                return try Self.json(LogBuffer.shared.recent(count))
            }
            guard let scheduler = dashboard.scheduler else { return try Self.json([LogRecord]()) }
            return try Self.json(try await scheduler.workerLogs(worker, count: count))
        }
        router.get("/events") { request, _ in
            let from = Self.integer(request, "from") ?? 0
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    var next = from
                    // Until the page goes, or the dashboard shuts down (which waits for open requests).
                    while !Task.isCancelled, !Task.isShuttingDownGracefully {
                        let snapshot = await dashboard.snapshot(streamFrom: next, streamLimit: 1_000, shared: true)
                        next = (snapshot.stream.last?.sequence).map { $0 + 1 } ?? next
                        var text = "data: "
                        text += String(decoding: try JSONEncoder().encode(snapshot), as: UTF8.self)
                        text += "\n\n"
                        try await writer.write(ByteBuffer(string: text))
                        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.updateInterval) }
                    }
                    try await writer.finish(nil)
                })
        }
        var logger = Logger.loom("loom.dashboard")
        logger.logLevel = .warning
        logger = ShutdownNoiseFilter.filtering(logger)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "loom-dashboard"),
            onServerRunning: { channel in await onBound(channel.localAddress?.port ?? 0) }, logger: logger)
    }

    private static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// JSON to embed in a page's script: `<`, `>` and `&` as JSON escapes, so no text from
    /// outside (worker names, a batch system's refusal) can end or disturb the script element.
    private static func script(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }

    private static func integer(_ request: Request, _ name: String) -> Int? {
        request.uri.queryParameters[Substring(name)].flatMap { Int($0) }
    }
}

/// Any plugin's status as JSON, `null` for none: the dashboard shows what plugins contribute
/// without knowing their types.
struct JSONValue: Encodable {
    let value: (any Encodable & Sendable)?
    init(_ value: (any Encodable & Sendable)?) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        if let value {
            try value.encode(to: encoder)
        } else {
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        }
    }
}
