import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomDistributed

/// PBS, LSF, HTCondor and OAR through their command-line contract, with stand-in commands
/// (`StandInBatchSystem`): the real ones cannot be installed here.
@Suite(.serialized) struct StandInBatchSystemTests {
    func options() -> JobQueueOptions {
        var options = JobQueueOptions(cores: 1, memory: "1GB")
        options.workerCommand = TestTasks.workerExecutable
        options.walltime = "00:10:00"
        return options
    }

    @Test(arguments: [BatchSystem.pbs, .lsf, .htcondor, .oar])
    func aJobBecomesAWorkerComputesAndIsCancelled(_ system: BatchSystem) async throws {
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        let cluster = try await JobQueueCluster(
            system: system, options: options(), setup: JobQueueSetup(
                host: "127.0.0.1", jobsDirectory: standIn.directory + "/jobs", dashboardAddress: nil,
                pollInterval: .milliseconds(200), commandsDirectory: standIn.directory))
        do {
            try await cluster.scale(jobs: 1)
            for _ in 0..<300 where await cluster.base.scheduler.workerCount < 1 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(await cluster.base.scheduler.workerCount == 1, "the job's worker joined")
            let client = try await Client(cluster)
            #expect(try await client.submit(TestTasks.inc, 41).result() == 42)
            for _ in 0..<50 where cluster.jobs.first?.state != .running { try await Task.sleep(for: .milliseconds(100)) }
            #expect(cluster.jobs.map(\.state) == [.running])
            await client.close()
            try await cluster.scale(jobs: 0)
            for _ in 0..<100 where await cluster.base.scheduler.workerCount > 0 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(await cluster.base.scheduler.workerCount == 0, "cancelling the job ended its worker")
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
    }

    @Test(arguments: [(BatchSystem.pbs, "Unknown queue"), (.lsf, "No such queue"), (.oar, "queue bad does not exist")])
    func rejectionsQuoteTheBatchSystem(_ system: BatchSystem, _ said: String) async throws {
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        var bad = options()
        bad.queue = "bad"
        let cluster = try await JobQueueCluster(
            system: system, options: bad, setup: JobQueueSetup(
                host: "127.0.0.1", jobsDirectory: standIn.directory + "/jobs", dashboardAddress: nil, commandsDirectory: standIn.directory))
        let error = await #expect(throws: LoomError.self) { try await cluster.scale(jobs: 1) }
        #expect(error?.message.contains("rejected job") == true && error?.message.contains(said) == true, "\(String(describing: error))")
        await cluster.close()
    }
}
