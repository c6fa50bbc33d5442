import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Loom
import LoomTestSupport
import Testing
@testable import LoomDashboard

/// GETs `path` from the dashboard at `base`; the status and the body as text.
func httpGet(_ base: String, _ path: String) async throws -> (status: Int, body: String) {
    let (data, response) = try await URLSession.shared.data(from: URL(string: base + path)!)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// The value of a Prometheus sample line `name{labels} value` (labels as written, or none).
func prometheusValue(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        if parts.count == 2, parts[0] == series { return Double(parts[1]) }
    }
    return nil
}

/// The dashboard's base URL (`http://HOST:PORT`) from a client's link.
func dashboardBase(_ client: Client) async throws -> String {
    let link = try #require(await client.dashboardLink)
    return String(link.dropLast("/status".count))
}

@Suite(.serialized) struct DashboardTests {

    @Test func everyRouteAnswersAndTheApiAgreesWithTheScheduler() async throws {
        try await withCluster(dashboard: ":0") { cluster, client in
            let futures = try await client.map(TestTasks.inc, Array(0..<200))
            #expect(try await client.gather(futures).reduce(0, +) == 20_100)
            let base = try await dashboardBase(client)
            #expect(cluster.dashboardLink == base + "/status")

            #expect(try await httpGet(base, "/health") == (200, "ok"))
            for page in ["/status", "/workers", "/jobs", "/pods", "/logs", "/profile", "/graph", "/system"] {
                let (status, body) = try await httpGet(base, page)
                #expect(status == 200 && body.contains("/static/dashboard.js"), "\(page)")
            }
            for asset in ["/static/dashboard.js", "/static/dashboard.css"] {
                #expect(try await httpGet(base, asset).status == 200)
            }

            let workers = try JSONDecoder().decode([DashboardSnapshot.Worker].self, from: Data(try await httpGet(base, "/api/workers").body.utf8))
            #expect(Set(workers.map(\.name)) == Set(cluster.workerNames))
            let tasks = try JSONDecoder().decode([String: Int].self, from: Data(try await httpGet(base, "/api/tasks").body.utf8))
            #expect(tasks["memory"] == 200)
            let adaptive = try JSONDecoder().decode([String: Int].self, from: Data(try await httpGet(base, "/api/adaptive").body.utf8))
            #expect(adaptive["workers"] == 2 && adaptive["target"] != nil)
            #expect(try await httpGet(base, "/api/jobs").body == "null", "a LocalCluster has no jobs plugin: its workers are not batch jobs")
            #expect(try await httpGet(base, "/api/pods").body == "null", "nor a kubernetes plugin: its workers are not pods")
            let profile = try JSONDecoder().decode([String: FunctionProfile].self, from: Data(try await httpGet(base, "/api/profile").body.utf8))
            #expect(profile["inc"]?.tasks == 200)
            let graph = try JSONDecoder().decode(GraphView.self, from: Data(try await httpGet(base, "/api/graph").body.utf8))
            #expect(graph.nodes.count == 200 && graph.nodes.allSatisfy { $0.state == "memory" && $0.function == "inc" })
            let stream = try JSONDecoder().decode([TaskStreamEntry].self, from: Data(try await httpGet(base, "/api/stream?from=0").body.utf8))
            #expect(stream.count == 200 && stream.allSatisfy { $0.prefix == "inc" && $0.stop >= $0.start })
            let status = try JSONDecoder().decode(DashboardSnapshot.self, from: Data(try await httpGet(base, "/api/status?from=0").body.utf8))
            #expect(status.workers.count == 2 && status.stream.count == 200 && status.progress["inc"]?.memory == 200)
            let advice = try await httpGet(base, "/api/advice")
            #expect(advice.status == 200 && advice.body.hasPrefix("["))

            let schedulerLogs = try JSONDecoder().decode([LogRecord].self, from: Data(try await httpGet(base, "/api/logs?n=50").body.utf8))
            #expect(schedulerLogs.contains { $0.message.contains("worker joined") })
            let name = cluster.workerNames[0]
            let workerLogs = try JSONDecoder().decode(
                [LogRecord].self, from: Data(try await httpGet(base, "/api/logs?worker=\(name)").body.utf8))
            #expect(workerLogs.contains { $0.message.contains("worker ready") })

            // Prometheus text parses, and its numbers are the scheduler's.
            let metrics = try await httpGet(base, "/metrics").body
            #expect(prometheusValue(metrics, "loom_scheduler_workers") == 2)
            #expect(prometheusValue(metrics, #"loom_scheduler_tasks{state="memory"}"#) == 200)
            #expect(prometheusValue(metrics, #"loom_task_duration_seconds_count{function="inc"}"#) == 200)
            let managed = workers.reduce(0) { $0 + $1.managed }
            #expect(prometheusValue(metrics, #"loom_worker_memory_bytes{type="managed"}"#).map { $0 > 0 } == true || managed == 0)
            for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
                #expect(line.split(separator: " ").count == 2 && Double(line.split(separator: " ")[1]) != nil, "not a sample: \(line)")
            }
        }
    }

    @Test func eventsStreamSnapshotsWithTheTaskStream() async throws {
        try await withCluster(dashboard: ":0") { _, client in
            let futures = try await client.map(TestTasks.inc, Array(0..<10))
            _ = try await client.gather(futures)
            let base = try await dashboardBase(client)
            // The first three events (they come every 500 ms; the cap only guards a stuck stream).
            let (_, output, _) = try await runProcess("/bin/sh", ["-c", "curl -sN --max-time 60 '\(base)/events' | grep -m 3 '^data: '"])
            let events = try output.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { line in
                try JSONDecoder().decode(DashboardSnapshot.self, from: Data(line.dropFirst(6).utf8))
            }
            #expect(events.count == 3, "the stream goes on: \(events.count) events")
            #expect(events.first?.stream.count == 10, "the first event carries the stream so far")
            #expect(events.dropFirst().allSatisfy { $0.stream.isEmpty }, "later ones only what is new")
            #expect(events.first?.workers.count == 2 && events.first?.progress["inc"]?.memory == 10)
            withExtendedLifetime(futures) {}
        }
    }

    @Test func largeGraphsArePolitelyRefused() async throws {
        try await withCluster(dashboard: ":0") { _, client in
            let futures = try await client.map(TestTasks.inc, Array(0..<1_500))
            _ = try await client.gather(futures)
            let body = try await httpGet(try await dashboardBase(client), "/api/graph").body
            #expect(body.contains("1500 tasks") && body.contains("drawn only up to 1000"))
        }
    }

    @Test func clientsReadSchedulerAndWorkerLogs() async throws {
        try await withCluster { cluster, client in
            let scheduler = try await client.schedulerLogs(n: 100)
            #expect(scheduler.contains { $0.label == "loom.scheduler" && $0.message.contains("worker joined") })
            let workers = try await client.workerLogs(n: 20)
            #expect(Set(workers.keys) == Set(cluster.workerNames))
            #expect(workers.values.allSatisfy { records in records.contains { $0.message.contains("worker ready") } && records.count <= 20 })
        }
    }
}
