import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomDistributed

/// Headless Chromium (Debian's, which `scripts/test` installs) loading the dashboard while a
/// computation runs. Screenshots go to `.build/test-artifacts/`.
@Suite(.serialized) struct DashboardBrowserTests {
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts")

    /// Runs headless Chromium on `url` with `arguments` (`--dump-dom`, `--screenshot=…`).
    static func chromium(_ url: String, _ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
        guard let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            Issue.record("Chromium is not installed: scripts/test installs Debian's chromium package")
            return (-1, "", "")
        }
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        // The page renders the state it came with as it loads, and --dump-dom takes it then
        // (--timeout: at the latest after 2.5 s, as live updates never let the network go idle);
        // `timeout` guards against a browser that never returns.
        return try await runProcess("/usr/bin/timeout", [
            "-k", "5", "60", browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--window-size=1400,1000", "--timeout=2500",
        ] + arguments + [url])
    }

    @Test func theStatusPageShowsTaskBarsAndAMemoryBarPerWorkerDuringAComputation() async throws {
        try await withCluster(dashboard: ":0") { cluster, client in
            // Short tasks finish at once (bars in the stream); long ones keep the computation running
            // and never finish (the cluster's end stops them), so the stream's last 10 s stay the
            // short ones however slowly the browser starts.
            let quick = try await client.map(TestTasks.inc, Array(0..<50))
            _ = try await client.gather(quick)
            let running = try await client.persist((0..<4).map { TestTasks.sleepThenEcho.delayed($0, 300.0) })
            let link = try #require(await client.dashboardLink)
            let (_, dom, error) = try await Self.chromium(link, ["--dump-dom"])
            let bars = dom.components(separatedBy: "class=\"task-bar\"").count - 1
            #expect(bars >= 50, "task-stream bars in the DOM: \(bars); chromium said: \(error.suffix(500))")
            for name in cluster.workerNames {
                #expect(dom.contains("class=\"row memory-bar\" data-worker=\"\(name)\""), "a memory bar for \(name)")
            }
            #expect(dom.contains("sleep-then-echo"), "the running function shows in the progress")
            let screenshot = Self.artifacts.appendingPathComponent("dashboard-status.png").path
            _ = try await Self.chromium(link, ["--screenshot=\(screenshot)"])
            #expect(FileManager.default.fileExists(atPath: screenshot))
            try await client.cancel(running)
        }
    }

    @Test func aPerformanceReportOpensOfflineWithEverySection() async throws {
        try await withCluster { _, client in
            try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
            let path = Self.artifacts.appendingPathComponent("performance-report.html").path
            try? FileManager.default.removeItem(atPath: path)
            let total = try await client.performanceReport(to: path, title: "tree sum") {
                try await client.compute(reduceByPairs((0..<300).map { TestTasks.inc.delayed($0) }))
            }
            #expect(total == 45_150)
            // Networking off: every request would go to a proxy that is not there.
            let (_, dom, error) = try await Self.chromium(
                "file://" + path, ["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--dump-dom"])
            for section in ["bottlenecks", "task-stream", "functions", "transfers", "memory", "logs"] {
                #expect(dom.contains("<section id=\"\(section)\""), "section \(section); chromium said: \(error.suffix(300))")
            }
            #expect(dom.matches(of: /<rect class="task-bar" x="[0-9]/).count == 599, "a bar per task of the block")
            #expect(dom.contains("tree sum") && dom.contains("</span> add</td>") && dom.contains("</span> inc</td>"))
            let screenshot = Self.artifacts.appendingPathComponent("performance-report.png").path
            _ = try await Self.chromium("file://" + path, ["--proxy-server=127.0.0.1:9", "--screenshot=\(screenshot)"])
        }
    }

    @Test func theJobsPageShowsEachJobAndTheBatchSystemsLastRefusal() async throws {
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        var options = JobQueueOptions(cores: 1, memory: "1GB")
        options.workerCommand = TestTasks.workerExecutable
        func setup(_ limits: SubmissionLimits = SubmissionLimits()) -> JobQueueSetup {
            JobQueueSetup(host: "127.0.0.1", jobsDirectory: standIn.directory + "/jobs", dashboardAddress: ":0",
                          pollInterval: .milliseconds(200), commandsDirectory: standIn.directory, limits: limits)
        }
        func jobsPage(_ cluster: JobQueueCluster) async throws -> (dom: String, error: String) {
            let link = try #require(cluster.dashboardLink)
            let (_, dom, error) = try await Self.chromium(link.replacingOccurrences(of: "/status", with: "/jobs"), ["--dump-dom"])
            return (dom, error)
        }

        let cluster = try await PBSCluster(options: options, setup: setup())
        do {
            try await cluster.scale(jobs: 1)
            let client = try await Client(cluster)
            try await client.waitForWorkers(1, timeout: .seconds(60))
            for _ in 0..<600 where cluster.jobs.first?.state != .running { try await Task.sleep(for: .milliseconds(100)) }
            try #require(cluster.jobs.first?.state == .running, "the stand-in reports the job running")
            let (dom, error) = try await jobsPage(cluster)
            let id = try #require(cluster.jobs.first?.id)
            #expect(dom.contains("<table id=\"jobs\">") && dom.contains("<td>\(id)</td>"), "the job's row; chromium said: \(error.suffix(300))")
            #expect(dom.contains("<td class=\"job-state\">running</td>") && dom.contains("<td>1 of 1</td>"), "running, its worker joined")
            await client.close()
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()

        var bad = options
        bad.queue = "bad"
        let refused = try await PBSCluster(options: bad, setup: setup(SubmissionLimits(failuresBeforePause: 1)))
        do {
            await #expect(throws: LoomError.self) { try await refused.scale(jobs: 1) }
            let (dom, _) = try await jobsPage(refused)
            #expect(dom.contains("id=\"paused\"") && dom.contains("qsub: Unknown queue"), "the pause and what the batch system said")
            let screenshot = Self.artifacts.appendingPathComponent("dashboard-jobs.png").path
            let link = try #require(refused.dashboardLink)
            _ = try await Self.chromium(link.replacingOccurrences(of: "/status", with: "/jobs"), ["--screenshot=\(screenshot)"])
        } catch {
            await refused.close()
            throw error
        }
        await refused.close()
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
        for _ in 0..<500 where await scheduler.server.workerCount < 120 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await scheduler.server.workerCount == 120)
        let link = try #require(scheduler.server.dashboardLink)
        let (_, dom, _) = try await Self.chromium(link, ["--dump-dom"])
        #expect(dom.contains("Memory (120 workers, by share of their limit)"))
        #expect(!dom.contains("class=\"row memory-bar\""), "no row per worker")
        #expect(dom.contains("Processing (the 20 busiest workers)"))
        mute.cancel()
        await scheduler.stop()
    }
}
