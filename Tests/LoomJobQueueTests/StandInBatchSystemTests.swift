import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomJobQueue

/// PBS, LSF, HTCondor and OAR through their command-line contract, with stand-in commands
/// (`StandInBatchSystem`): the real ones cannot be installed here.
@Suite(.serialized) struct StandInBatchSystemTests {
    func options() -> JobQueueOptions {
        var options = JobQueueOptions(cores: 1, memory: "1GB")
        options.workerCommand = TestTasks.workerExecutable
        options.walltime = "00:10:00"
        return options
    }

    /// The job script carries the worker's TLS files (copies of in-memory certificates under the
    /// jobs directory), its worker joins over TLS, and closing removes the copies.
    @Test func jobScriptsCarryTheTLSSettings() async throws {
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        let cluster = try await BatchSystem.pbs.cluster(
            options: options(), setup: JobQueueSetup(
                host: "127.0.0.1", jobsDirectory: standIn.directory + "/jobs", dashboardAddress: nil,
                pollInterval: .milliseconds(200), commandsDirectory: standIn.directory, security: try Security.temporary()))
        let script = try cluster.jobScript()
        let caFile = try #require(script.firstRange(of: "--tls-ca-file ").map { String(script[$0.upperBound...].prefix { $0 != " " }) })
        #expect(caFile.hasPrefix(standIn.directory + "/jobs/loom-tls-") && FileManager.default.fileExists(atPath: caFile), "\(script)")
        #expect(script.contains("--tls-cert ") && script.contains("--tls-key "))
        do {
            #expect(cluster.schedulerAddress.scheme == .tls)
            try await cluster.scale(jobs: 1)
            let client = try await Client(cluster, setAsDefault: false)
            try await client.waitForWorkers(1, timeout: .seconds(60))
            #expect(try await client.schedulerInfo().allSatisfy { $0.address.hasPrefix("tls://") })
            #expect(try await client.submit(TestTasks.inc, 41).result() == 42)
            await client.close()
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
        #expect(!FileManager.default.fileExists(atPath: caFile), "the copies are removed")
    }

    @Test(arguments: [BatchSystem.pbs, .lsf, .htcondor, .oar])
    func aJobBecomesAWorkerComputesAndIsCancelled(_ system: BatchSystem) async throws {
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        let cluster = try await system.cluster(
            options: options(), setup: JobQueueSetup(
                host: "127.0.0.1", jobsDirectory: standIn.directory + "/jobs", dashboardAddress: nil,
                pollInterval: .milliseconds(200), commandsDirectory: standIn.directory))
        do {
            try await cluster.scale(jobs: 1)
            try await eventually("the job's worker to join") { await cluster.base.scheduler.workerCount > 0 }
            #expect(await cluster.base.scheduler.workerCount == 1, "the job's worker joined")
            let client = try await Client(cluster, setAsDefault: false)
            #expect(try await client.submit(TestTasks.inc, 41).result() == 42)
            try await eventually("a poll to see the job running") { cluster.jobs.first?.state == .running }
            #expect(cluster.jobs.map(\.state) == [.running])
            await client.close()
            try await cluster.scale(jobs: 0)
            try await eventually("cancelling the job to end its worker") { await cluster.base.scheduler.workerCount == 0 }
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
        let cluster = try await system.cluster(
            options: bad, setup: JobQueueSetup(
                host: "127.0.0.1", jobsDirectory: standIn.directory + "/jobs", dashboardAddress: nil, commandsDirectory: standIn.directory))
        let error = await #expect(throws: LoomError.self) { try await cluster.scale(jobs: 1) }
        #expect(error?.message.contains("rejected job") == true && error?.message.contains(said) == true, "\(String(describing: error))")
        await cluster.close()
    }

    @Test func submissionsPauseAfterRefusalsInARowAndSayWhy() async throws {
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        var bad = options()
        bad.queue = "bad"
        let cluster = try await BatchSystem.pbs.cluster(
            options: bad, setup: JobQueueSetup(
                host: "127.0.0.1", jobsDirectory: standIn.directory + "/jobs", dashboardAddress: nil, commandsDirectory: standIn.directory,
                limits: SubmissionLimits(delayAfterFailure: .zero, failuresBeforePause: 2, pause: .seconds(300))))
        for _ in 0..<2 {
            let error = await #expect(throws: LoomError.self) { try await cluster.scale(jobs: 1) }
            #expect(error?.message.contains("qsub: Unknown queue") == true, "\(String(describing: error))")
        }
        let paused = await #expect(throws: LoomError.self) { try await cluster.scale(jobs: 1) }
        #expect(paused?.message.contains("paused") == true && paused?.message.contains("qsub: Unknown queue") == true,
                "\(String(describing: paused))")
        #expect(standIn.calls.filter { $0.hasPrefix("qsub") }.count == 2, "paused: the batch system was not asked again")
        let status = cluster.submissions
        #expect(status.consecutiveFailures == 2 && status.lastError?.contains("Unknown queue") == true && status.pausedUntil != nil)
        #expect(cluster.jobs.isEmpty)
        cluster.resumeSubmissions()
        await #expect(throws: LoomError.self) { try await cluster.scale(jobs: 1) }
        #expect(standIn.calls.filter { $0.hasPrefix("qsub") }.count == 3, "resumed: asked again")
        await cluster.close()
    }

    @Test func aJobOfTwoWorkersGrowsAndRetiresWholeUnderAdapt() async throws {
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        var pairs = options()
        pairs.cores = 2
        pairs.processes = 2
        pairs.memory = "2GB"
        let jobsDirectory = standIn.directory + "/jobs"
        let cluster = try await BatchSystem.pbs.cluster(
            options: pairs, setup: JobQueueSetup(
                schedulerInterface: "lo", jobsDirectory: jobsDirectory, dashboardAddress: nil,
                pollInterval: .milliseconds(200), commandsDirectory: standIn.directory))
        do {
            #expect(cluster.base.schedulerAddress.host == "127.0.0.1", "listening on the loopback interface's address")
            #expect(try cluster.jobScript().contains("127.0.0.1:\(cluster.base.schedulerAddress.port)"))
            cluster.adapt(minimumJobs: 0, maximumJobs: 2, interval: .milliseconds(200))
            let client = try await Client(cluster, setAsDefault: false)
            // 40 tasks of 0.3 s: 12 s of work calls for the maximum, two jobs of two workers.
            // The futures go with the task: once gathered, nothing keeps the workers.
            let results = Task { try await client.gather(try await client.persist((0..<40).map { TestTasks.sleepThenEcho.delayed($0, 0.3) })) }
            var seenWhole: Set<String> = []
            var halfJobs: [String] = []
            var peak = 0
            // Until the work is done and every job retired again, each job's workers are all
            // there or all gone once both had joined.
            try await eventually("two jobs of two workers to come and every job to retire again", interval: .milliseconds(20)) {
                let connected = await cluster.base.scheduler.connectedWorkerNames
                peak = max(peak, connected.count)
                for job in cluster.base.launched.compactMap({ $0 as? BatchJob }).map(\.name) + Array(seenWhole) {
                    let present = ["\(job)-0", "\(job)-1"].filter(connected.contains).count
                    if present == 2 { seenWhole.insert(job) } else if present == 1, seenWhole.contains(job) { halfJobs.append(job) }
                }
                return peak == 4 && connected.isEmpty && cluster.jobs.isEmpty
            }
            #expect(try await results.value == Array(0..<40))
            #expect(peak == 4, "grew to two jobs of two workers")
            #expect(halfJobs.isEmpty, "a job's workers retired together: \(halfJobs)")
            #expect(await cluster.base.scheduler.workerCount == 0 && cluster.jobs.isEmpty, "idle, every job retired")
            let submitted = try FileManager.default.contentsOfDirectory(atPath: jobsDirectory)
            #expect(submitted.count == 2, "two jobs submitted in all, no submit-and-cancel loop: \(submitted)")
            await client.close()
        } catch {
            await cluster.close()
            throw error
        }
        await cluster.close()
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func ctrlCOnTheProgramCancelsItsJobs(_ signal: Int32) async throws {
        let standIn = try StandInBatchSystem.make()
        defer { standIn.remove() }
        let ready = standIn.directory + "/ready"
        let program = Process(), input = Pipe()
        program.executableURL = URL(fileURLWithPath: TestTasks.workerExecutable)
        program.arguments = ["batch-client", standIn.directory, standIn.directory + "/jobs", ready]
        program.standardInput = input  // closed when the test ends: the program ends too
        try program.run()
        defer { if program.isRunning { kill(program.processIdentifier, SIGKILL) } }
        try await eventually("the program to write its job's id once the job's worker joined (or to end)", timeout: .seconds(120)) {
            FileManager.default.fileExists(atPath: ready) || !program.isRunning
        }
        let id = try #require(try? String(contentsOfFile: ready, encoding: .utf8), "the program's job started")
        kill(program.processIdentifier, signal)
        try await eventually("the program to end by the signal") { !program.isRunning }
        #expect(!program.isRunning && program.terminationReason == .uncaughtSignal && program.terminationStatus == signal,
                "ended by the signal, as it would have without jobs")
        #expect(standIn.calls.contains("qdel \(id)"), "its job was cancelled first: \(standIn.calls)")
    }

    @Test func anUnknownSchedulerInterfaceIsNamed() async throws {
        let error = await #expect(throws: LoomError.self) {
            _ = try await BatchSystem.pbs.cluster(options: options(), setup: JobQueueSetup(schedulerInterface: "nope0", dashboardAddress: nil))
        }
        #expect(error?.message.contains("'nope0'") == true && error?.message.contains("lo") == true, "\(String(describing: error))")
    }
}
