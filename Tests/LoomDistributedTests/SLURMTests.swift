import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomDistributed

/// Against the real single-node SLURM that `scripts/start-slurm` (run by `scripts/test`) starts.
@Suite(.serialized) struct SLURMTests {
    static var slurmRunning: Bool {
        guard let result = try? runBatchCommand(["sinfo", "--noheader", "--format=%t"]), result.status == 0 else { return false }
        return result.output.contains("idle") || result.output.contains("mix") || result.output.contains("alloc")
    }

    func options() -> JobQueueOptions {
        var options = JobQueueOptions(cores: 1, memory: "1GB")
        options.workerCommand = TestTasks.workerExecutable
        options.walltime = "00:10:00"
        return options
    }

    func queued(_ ids: [String]) throws -> [String] {
        let listed = try runBatchCommand(["squeue", "--noheader", "--format=%i"]).output
        return ids.filter { id in listed.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == id } }
    }

    @Test func twoJobsBecomeTwoWorkersThenGoAway() async throws {
        guard Self.slurmRunning else {
            Issue.record("SLURM is not running here: scripts/test starts it (scripts/start-slurm)")
            return
        }
        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("loom-slurm-\(UUID().uuidString)").path
        let cluster = try await SLURMCluster(options: options(), host: "127.0.0.1", jobsDirectory: jobs, dashboardAddress: nil)
        do {
            try await cluster.scale(jobs: 2)
            let ids = cluster.jobs.map(\.id)
            #expect(ids.count == 2)
            #expect(try queued(ids).count == 2, "both jobs are in squeue")
            for _ in 0..<600 where await cluster.base.scheduler.workerCount < 2 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(await cluster.base.scheduler.workerCount == 2, "two workers joined from two jobs")
            let client = try await Client(cluster)
            let futures = try await client.map(TestTasks.inc, Array(0..<100))
            #expect(try await client.gather(futures).reduce(0, +) == 5_050)
            for _ in 0..<50 where !cluster.jobs.allSatisfy({ $0.state == .running }) { try await Task.sleep(for: .milliseconds(100)) }
            #expect(cluster.jobs.map(\.state) == [.running, .running])
            #expect(FileManager.default.fileExists(atPath: "\(jobs)/\(cluster.jobs[0].name)/job.sh"))
            await client.close()
            try await cluster.scale(jobs: 0)
            var left = ids
            for _ in 0..<300 where !left.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                left = try queued(ids)
            }
            #expect(left.isEmpty, "the jobs are gone from squeue")
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
        try? FileManager.default.removeItem(atPath: jobs)
    }

    @Test func aRejectedSubmissionQuotesTheBatchSystem() async throws {
        guard Self.slurmRunning else {
            Issue.record("SLURM is not running here: scripts/test starts it (scripts/start-slurm)")
            return
        }
        var bad = options()
        bad.queue = "no-such-partition"
        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("loom-slurm-\(UUID().uuidString)").path
        let cluster = try await SLURMCluster(options: bad, host: "127.0.0.1", jobsDirectory: jobs, dashboardAddress: nil)
        let error = await #expect(throws: LoomError.self) { try await cluster.scale(jobs: 1) }
        #expect(error?.message.contains("sbatch rejected job") == true && error?.message.contains("Invalid partition") == true,
                "\(String(describing: error))")
        await cluster.close()
        try? FileManager.default.removeItem(atPath: jobs)
    }
}
