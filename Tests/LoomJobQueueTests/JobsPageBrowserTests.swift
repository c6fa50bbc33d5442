import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomJobQueue

/// The dashboard's jobs page in headless Chromium: the jobs plugin's report as a person sees it.
@Suite(.serialized) struct JobsPageBrowserTests {
    @Test func theJobsPageShowsEachJobAndTheBatchSystemsLastRefusal() async throws {
        Dashboard.installAsDefault()  // as Loom.bootstrap does; not left to whichever test ran before
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        var options = JobQueueOptions(cores: 1, memory: "1GB")
        options.workerCommand = TestTasks.workerExecutable
        func setup(_ limits: SubmissionLimits = SubmissionLimits()) -> JobQueueSetup {
            JobQueueSetup(host: "127.0.0.1", jobsDirectory: standIn.directory + "/jobs", dashboardAddress: ":0",
                          pollInterval: .milliseconds(200), commandsDirectory: standIn.directory, limits: limits)
        }
        func jobsPage(_ cluster: any BatchCluster) async throws -> (dom: String, error: String) {
            let link = try #require(cluster.dashboardLink)
            let (_, dom, error) = try await chromium(link.replacingOccurrences(of: "/status", with: "/jobs"), ["--dump-dom"])
            return (dom, error)
        }

        let cluster = try await PBSCluster(options: options, setup: setup())
        do {
            try await cluster.scale(jobs: 1)
            let client = try await Client(cluster, setAsDefault: false)
            try await client.waitForWorkers(1, timeout: .seconds(60))
            try await eventually("a poll of the stand-in to report the job running") { cluster.jobs.first?.state == .running }
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
            let screenshot = testArtifacts.appendingPathComponent("dashboard-jobs.png").path
            let link = try #require(refused.dashboardLink)
            _ = try await chromium(link.replacingOccurrences(of: "/status", with: "/jobs"), ["--screenshot=\(screenshot)"])
        } catch {
            await refused.close()
            throw error
        }
        await refused.close()
    }
}
