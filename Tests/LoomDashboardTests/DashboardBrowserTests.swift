import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomDashboard
@testable import LoomDistributed
@testable import LoomRuntime

/// Headless Chromium (Debian's, which `scripts/test` installs) loading the dashboard while a
/// computation runs. Screenshots go to `.build/test-artifacts/`.
@Suite(.serialized) struct DashboardBrowserTests {
    @Test func theStatusPageShowsTaskBarsAndAMemoryBarPerWorkerDuringAComputation() async throws {
        try await withCluster(dashboard: ":0") { cluster, client in
            // Short tasks finish at once (bars in the stream); long ones keep the computation running
            // and never finish (the cluster's end stops them), so the stream's last 10 s stay the
            // short ones however slowly the browser starts.
            let quick = try await client.map(TestTasks.inc, Array(0..<50))
            _ = try await client.gather(quick)
            let running = try await client.persist((0..<4).map { TestTasks.sleepThenEcho.delayed($0, 300.0) })
            let link = try #require(await client.dashboardLink)
            let (_, dom, error) = try await chromium(link, ["--dump-dom"])
            let bars = dom.components(separatedBy: "class=\"task-bar\"").count - 1
            #expect(bars >= 50, "task-stream bars in the DOM: \(bars); chromium said: \(error.suffix(500))")
            for name in cluster.workerNames {
                #expect(dom.contains("class=\"row memory-bar\" data-worker=\"\(name)\""), "a memory bar for \(name)")
            }
            #expect(dom.contains("sleep-then-echo"), "the running function shows in the progress")
            let screenshot = testArtifacts.appendingPathComponent("dashboard-status.png").path
            _ = try await chromium(link, ["--screenshot=\(screenshot)"])
            #expect(FileManager.default.fileExists(atPath: screenshot))
            try await client.cancel(running)
        }
    }

    @Test func aPerformanceReportOpensOfflineWithEverySection() async throws {
        try await withCluster { _, client in
            try FileManager.default.createDirectory(at: testArtifacts, withIntermediateDirectories: true)
            let path = testArtifacts.appendingPathComponent("performance-report.html").path
            try? FileManager.default.removeItem(atPath: path)
            let total = try await client.performanceReport(to: path, title: "tree sum") {
                try await client.compute(reduceByPairs((0..<300).map { TestTasks.inc.delayed($0) }))
            }
            #expect(total == 45_150)
            // Networking off: every request would go to a proxy that is not there.
            let (_, dom, error) = try await chromium(
                "file://" + path, ["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--dump-dom"])
            for section in ["bottlenecks", "task-stream", "functions", "transfers", "memory", "logs"] {
                #expect(dom.contains("<section id=\"\(section)\""), "section \(section); chromium said: \(error.suffix(300))")
            }
            #expect(dom.matches(of: /<rect class="task-bar" x="[0-9]/).count == 599, "a bar per task of the block")
            #expect(dom.contains("tree sum") && dom.contains("</span> add</td>") && dom.contains("</span> inc</td>"))
            let screenshot = testArtifacts.appendingPathComponent("performance-report.png").path
            _ = try await chromium("file://" + path, ["--proxy-server=127.0.0.1:9", "--screenshot=\(screenshot)"])
        }
    }

    @Test func withManyWorkersTheStatusPageAggregates() async throws {
        let scheduler = try await RunningScheduler(SchedulerOptions(port: 0, dashboardAddress: ":0"))
        // 120 workers that only say hello and stay connected: rows for each would not fit.
        let address = scheduler.address
        let mute = Task {
            try await withThrowingDiscardingTaskGroup { group in
                for index in 0..<120 {
                    group.addTask {
                        let connection = try await Transport.connect(to: address)
                        try await connection.executeThenClose { inbound, outbound in
                            try await outbound.send([.hello(Hello(
                                role: .worker, name: "many-\(index)", address: "tcp://127.0.0.1:\(10_000 + index)", threads: 1,
                                memoryLimit: 1 << 30))])
                            for try await _ in inbound {}
                        }
                    }
                }
            }
        }
        try await eventually("the 120 mute workers to join") { await scheduler.server.workerCount >= 120 }
        #expect(await scheduler.server.workerCount == 120)
        let link = try #require(scheduler.server.dashboardLink)
        let (_, dom, _) = try await chromium(link, ["--dump-dom"])
        #expect(dom.contains("Memory (120 workers, by share of their limit)"))
        #expect(!dom.contains("class=\"row memory-bar\""), "no row per worker")
        #expect(dom.contains("Processing (the 20 busiest workers)"))
        mute.cancel()
        await scheduler.stop()
    }
}
