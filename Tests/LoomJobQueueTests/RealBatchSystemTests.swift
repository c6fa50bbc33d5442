import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomJobQueue

/// Against the real single-node SLURM and Grid Engine that `scripts/start-slurm` and
/// `scripts/start-sge` (run by `scripts/test`) start.
@Suite(.serialized) struct RealBatchSystemTests {
    /// Whether the batch system takes jobs here; records why not, naming the script to run.
    static func running(_ system: BatchSystem) -> Bool {
        let probe = system == .slurm ? ["sinfo", "--noheader", "--format=%t"] : ["qstat", "-f"]
        let result = try? runCommand(probe)
        let up = result.map { $0.status == 0 && (system == .slurm ? $0.output.contains("idle") || $0.output.contains("mix") || $0.output.contains("alloc") : $0.output.contains("all.q@")) } ?? false
        if !up { Issue.record("\(system.rawValue) is not running here: scripts/test starts it (scripts/start-\(system == .slurm ? "slurm" : "sge"))") }
        return up
    }

    /// The job ids among `ids` the batch system still lists.
    static func listed(_ system: BatchSystem, _ ids: [String]) throws -> [String] {
        let output = try runCommand(system == .slurm ? ["squeue", "--noheader", "--format=%i"] : ["qstat"]).output
        let first = Set(output.split(separator: "\n").compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) })
        return ids.filter(first.contains)
    }

    /// Waits until the batch system lists none of `ids` (Grid Engine lists a deleted job, "dr",
    /// until its execd reports it gone).
    static func waitUntilUnlisted(_ system: BatchSystem, _ ids: [String], _ what: String) async throws {
        try await eventually("\(what): \((try? listed(system, ids)) ?? ids) still in \(system)'s queue", timeout: .seconds(120),
                             interval: .milliseconds(100)) {
            try listed(system, ids).isEmpty
        }
    }

    func options() -> JobQueueOptions {
        var options = JobQueueOptions(cores: 1, memory: "1GB")
        options.workerCommand = TestTasks.workerExecutable
        options.walltime = "00:10:00"
        return options
    }

    @Test(arguments: [BatchSystem.slurm, .sge])
    func twoJobsBecomeTwoWorkersThenGoAway(_ system: BatchSystem) async throws {
        guard Self.running(system) else { return }
        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(system)-\(UUID().uuidString)").path
        let cluster = try await system.cluster(options: options(), setup: JobQueueSetup(host: "127.0.0.1", jobsDirectory: jobs, dashboardAddress: nil))
        do {
            try await cluster.scale(jobs: 2)
            let ids = cluster.jobs.map(\.id)
            #expect(ids.count == 2)
            #expect(try Self.listed(system, ids).count == 2, "both jobs are queued in \(system)")
            let client = try await Client(cluster, setAsDefault: false)
            try await client.waitForWorkers(2, timeout: .seconds(60))
            #expect(await cluster.base.scheduler.workerCount == 2, "two workers joined from two jobs")
            let futures = try await client.map(TestTasks.inc, Array(0..<100))
            #expect(try await client.gather(futures).reduce(0, +) == 5_050)
            try await eventually("a poll to see both jobs running") { cluster.jobs.allSatisfy { $0.state == .running } }
            #expect(cluster.jobs.map(\.state) == [.running, .running])
            #expect(FileManager.default.fileExists(atPath: "\(jobs)/\(cluster.jobs[0].name)/job.sh"))
            #expect(FileManager.default.fileExists(atPath: "\(jobs)/\(cluster.jobs[0].name)/job-id"))
            await client.close()
            try await cluster.scale(jobs: 0)
            try await Self.waitUntilUnlisted(system, ids, "the jobs to go from the queue")
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
        try? FileManager.default.removeItem(atPath: jobs)
    }

    @Test func aJobOfTwoWorkersStartsAndEndsWhole() async throws {
        guard Self.running(.slurm) else { return }
        var pair = options()
        pair.cores = 2
        pair.processes = 2
        pair.memory = "1GB"
        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("loom-slurm-\(UUID().uuidString)").path
        let cluster = try await SLURMCluster(options: pair, setup: JobQueueSetup(host: "127.0.0.1", jobsDirectory: jobs, dashboardAddress: nil))
        do {
            try await cluster.scale(workers: 2)
            #expect(cluster.jobs.count == 1, "two workers are one job of two")
            let client = try await Client(cluster, setAsDefault: false)
            try await client.waitForWorkers(2, timeout: .seconds(60))
            #expect(Set(try await client.schedulerInfo().map(\.name)) == Set(cluster.jobs[0].workers))
            #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<100))).reduce(0, +) == 5_050)
            await client.close()
            let id = cluster.jobs[0].id
            try await cluster.scale(jobs: 0)
            try await Self.waitUntilUnlisted(.slurm, [id], "the job to go from the queue")
            #expect(cluster.jobs.isEmpty)
            #expect(await cluster.base.scheduler.workerCount == 0, "both workers left with their job")
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
        try? FileManager.default.removeItem(atPath: jobs)
    }

    @Test func noMoreJobsPendingThanTheCap() async throws {
        guard Self.running(.slurm) else { return }
        var held = options()
        held.jobExtraDirectives = ["--hold"]  // pending in SLURM until released
        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("loom-slurm-\(UUID().uuidString)").path
        let cluster = try await SLURMCluster(options: held, setup: JobQueueSetup(
            host: "127.0.0.1", jobsDirectory: jobs, dashboardAddress: nil, pollInterval: .milliseconds(200),
            limits: SubmissionLimits(maximumPendingJobs: 2)))
        var ids: [String] = []
        do {
            try await cluster.scale(3)  // Dask's scale(n): three workers, so three jobs; it does not wait for them
            #expect(cluster.jobs.map(\.state) == [.pending, .pending, .waiting])
            ids = cluster.jobs.map(\.id).filter { !$0.isEmpty }
            #expect(try Self.listed(.slurm, ids).count == 2, "two jobs in SLURM's queue")
            // Three submission rounds in which the cap held the third job back.
            let heldBefore = cluster.launcher.roundsHeldBack
            try await eventually("three submission rounds") { cluster.launcher.roundsHeldBack >= heldBefore + 3 }
            #expect(cluster.jobs.map(\.state) == [.pending, .pending, .waiting], "the third waits while two are pending")
            // Released, the first job runs and the third goes to SLURM.
            _ = try runCommand(["scontrol", "release", ids[0]])
            try await eventually("the third job to go to SLURM once the first runs") { !cluster.jobs.contains { $0.state == .waiting } }
            ids = cluster.jobs.map(\.id)
            #expect(cluster.jobs.map(\.state) == [.running, .pending, .pending])
            #expect(try Self.listed(.slurm, ids).count == 3)
            try await eventually("the running job's worker to join") { await cluster.base.scheduler.workerCount > 0 }
            #expect(await cluster.base.scheduler.workerCount == 1, "the running job's worker joined")
            try await cluster.scale(jobs: 0)
            try await Self.waitUntilUnlisted(.slurm, ids, "every job, held ones too, to be cancelled")
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
        try? FileManager.default.removeItem(atPath: jobs)
    }

    @Test(arguments: [(BatchSystem.slurm, "sbatch rejected job", "Invalid partition"), (.sge, "qsub rejected job", "unknown queue")])
    func aRejectedSubmissionQuotesTheBatchSystem(_ system: BatchSystem, _ ours: String, _ theirs: String) async throws {
        guard Self.running(system) else { return }
        var bad = options()
        bad.queue = "no-such-queue"
        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(system)-\(UUID().uuidString)").path
        let cluster = try await system.cluster(options: bad, setup: JobQueueSetup(host: "127.0.0.1", jobsDirectory: jobs, dashboardAddress: nil))
        let error = await #expect(throws: LoomError.self) { try await cluster.scale(jobs: 1) }
        #expect(error?.message.contains(ours) == true && error?.message.contains(theirs) == true, "\(String(describing: error))")
        await cluster.close()
        try? FileManager.default.removeItem(atPath: jobs)
    }

    /// Grid Engine enforces a walltime of seconds within seconds, so a job ends by it quickly.
    @Test func aJobEndedByItsWalltimeIsReplacedUnderAdapt() async throws {
        guard Self.running(.sge) else { return }
        var short = options()
        short.walltime = "00:00:08"
        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("loom-sge-\(UUID().uuidString)").path
        let cluster = try await BatchSystem.sge.cluster(options: short, setup: JobQueueSetup(host: "127.0.0.1", jobsDirectory: jobs, dashboardAddress: nil))
        cluster.adapt(minimumJobs: 1, maximumJobs: 1, interval: .milliseconds(300))
        do {
            // The first job's worker joins; its walltime ends it; adapt submits a replacement.
            try await eventually("adapt to submit a job replacing the first") { cluster.jobs.count >= 2 }
            let all = cluster.jobs
            #expect(all.count == 2, "a second job replaced the first: \(all)")
            #expect(all.first.map { $0.state == .finished || $0.state == .timedOut } == true, "the first ended: \(all)")
            if let replacement = all.last {
                try await eventually("the replacement's worker to join") {
                    await cluster.base.scheduler.connectedWorkerNames.contains(replacement.workers[0])
                }
                #expect(await cluster.base.scheduler.connectedWorkerNames == replacement.workers, "the replacement's worker joined")
            }
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
        try? FileManager.default.removeItem(atPath: jobs)
    }
}
