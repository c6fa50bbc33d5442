import Foundation
import Loom
import LoomTestSupport
import Synchronization
import Testing

/// A scheduler plugin that remembers what it heard.
final class ProbePlugin: SchedulerPlugin {
    let name = "probe"
    struct Heard {
        var started = false, closed = false
        var transitions: [TaskTransition] = []
        var added: [String] = [], removed: [String] = []
        var heartbeats = 0
    }
    let heard = Mutex(Heard())

    func start(_ scheduler: SchedulerServer) async throws { heard.withLock { $0.started = true } }
    func close() async { heard.withLock { $0.closed = true } }
    func transition(_ transition: TaskTransition) { heard.withLock { $0.transitions.append(transition) } }
    func workerAdded(_ worker: WorkerSpec) { heard.withLock { $0.added.append(worker.name) } }
    func workerRemoved(_ name: String, lost: Bool) { heard.withLock { $0.removed.append(name) } }
    func heartbeat(_ worker: String, metrics: WorkerMetrics) { heard.withLock { $0.heartbeats += 1 } }
    func status() async -> (any Encodable & Sendable)? { ["finished": heard.withLock { $0.transitions.filter { $0.finish == .memory }.count }] }
    func handle(request payload: [UInt8]) async throws -> [UInt8] {
        guard !payload.isEmpty else { throw LoomError(.configuration, "an empty request") }
        return payload.reversed()
    }
}

@Suite(.serialized) struct PluginTests {
    @Test func aSchedulerPluginHearsTransitionsWorkersAndHeartbeatsAndAnswersClients() async throws {
        let probe = ProbePlugin()
        let cluster = try await LocalCluster(
            workers: 2, threadsPerWorker: 1, memoryLimit: "1GB", executable: TestTasks.workerExecutable, dashboardAddress: nil,
            plugins: [probe])
        let client = try await Client(cluster, setAsDefault: false)
        let futures = try await client.map(TestTasks.inc, Array(0..<20))
        #expect(try await client.gather(futures) == Array(1...20))
        try await eventually("a heartbeat") { probe.heard.withLock { $0.heartbeats > 0 } }

        let heard = probe.heard.withLock { $0 }
        #expect(heard.started && !heard.closed)
        #expect(Set(heard.added) == Set(cluster.workerNames))
        for future in futures {
            let path = heard.transitions.filter { $0.key == future.key }
            // released → waiting → (queued, while both workers are saturated) → processing → memory, each
            // change starting where the one before ended.
            #expect(path.first?.start == .released && path.first?.finish == .waiting, "\(future.key): \(path.map(\.finish))")
            #expect(Array(path.map(\.finish).suffix(2)) == [.processing, .memory], "\(future.key): \(path.map(\.finish))")
            #expect(zip(path, path.dropFirst()).allSatisfy { $0.finish == $1.start })
            let finished = try #require(path.last)
            #expect(finished.start == .processing && cluster.workerNames.contains(finished.worker ?? "?"))
            #expect(finished.run.map { $0.seconds >= 0 && $0.nbytes > 0 } == true, "the run's timing and size")
        }
        #expect(try await client.pluginRequest("probe", payload: [1, 2, 3]) == [3, 2, 1])
        let refused = await #expect(throws: LoomError.self) { try await client.pluginRequest("probe") }
        #expect(refused?.message.contains("an empty request") == true)
        let missing = await #expect(throws: LoomError.self) { try await client.pluginRequest("nowhere") }
        #expect(missing?.message.contains("no plugin named 'nowhere'") == true && missing?.message.contains("probe") == true)
        let status = try #require(await (cluster.base.scheduler as? SchedulerServer)?.pluginStatus(named: "probe") as? [String: Int])
        #expect(status["finished"] == 20)

        // A failing task's transition carries its error.
        await #expect(throws: LoomError.self) { try await client.submit(TestTasks.fail, 7).result() }
        let erred = probe.heard.withLock { $0.transitions.first { $0.finish == .erred } }
        #expect(erred?.start == .processing && erred?.message?.contains("bad input 7") == true)

        await client.close()
        await cluster.close()
        #expect(probe.heard.withLock { $0.closed })
        withExtendedLifetime(futures) {}
    }

    /// An installable plugin the test workers do not know.
    final class Unknown: InstallableWorkerPlugin {
        static let typeName = "not-on-the-workers"
        let name = "unknown"
        init(options: Int) {}
    }

    @Test func aPluginRegisteredAtRunTimeReachesEveryWorkerAndThoseThatJoinLater() async throws {
        try await withCluster(workers: 2) { cluster, client in
            let installed = try await client.registerPlugin(StampPlugin.self, options: "v1")
            #expect(installed.count == 2)
            var reports = try await client.run(StampPlugin.report)
            #expect(reports.values.allSatisfy { $0 == ["v1"] }, "\(reports)")
            // Registered again: each worker tears the old one down and sets the new one up.
            try await client.registerPlugin(StampPlugin.self, options: "v2")
            reports = try await client.run(StampPlugin.report)
            #expect(reports.values.allSatisfy { $0 == ["v2", "v1"] }, "\(reports)")
            // A worker that joins later sets up the newest.
            try await cluster.scale(3)
            try await client.waitForWorkers(3, timeout: .seconds(60))
            reports = try await client.run(StampPlugin.report)
            #expect(reports.count == 3 && reports.values.allSatisfy { $0.first == "v2" }, "\(reports)")

            // Failures name each worker and what it said.
            let refused = await #expect(throws: LoomError.self) { try await client.registerPlugin(StampPlugin.self, options: "fail") }
            #expect(refused?.message.contains("did not set up on 3 of 3 workers") == true, "\(refused?.message ?? "")")
            #expect(refused?.message.contains("stamp refused on") == true)
            let unknown = await #expect(throws: LoomError.self) { try await client.registerPlugin(Unknown.self, options: 1) }
            #expect(unknown?.message.contains("no worker plugin type 'not-on-the-workers' is registered") == true, "\(unknown?.message ?? "")")
        }
    }

    /// Counts the tasks that finish from the moment it is installed, from a given start.
    final class FinishedSince: InstallableSchedulerPlugin {
        static let typeName = "finished-since"
        let name = "finished-since"
        let count: Mutex<Int>
        init(options start: Int) { count = Mutex(start) }
        func transition(_ transition: TaskTransition) { if transition.finish == .memory { count.withLock { $0 += 1 } } }
        func status() async -> (any Encodable & Sendable)? { count.withLock { $0 } }
        func handle(request payload: [UInt8]) async throws -> [UInt8] { try ValueCodec.encode(count.withLock { $0 }) }
    }

    @Test func aSchedulerPluginRegisteredAtRunTimeHearsWhatHappensFromThen() async throws {
        SchedulerPluginTypes.register([FinishedSince.self])  // the cluster's scheduler runs in this process
        try await withCluster(workers: 1) { _, client in
            _ = try await client.gather(try await client.map(TestTasks.inc, [1, 2]))
            try await client.registerPlugin(FinishedSince.self, options: 100)
            _ = try await client.gather(try await client.map(TestTasks.inc, [3, 4, 5]))
            func finished() async throws -> Int { try ValueCodec.decode(Int.self, from: try await client.pluginRequest("finished-since")) }
            #expect(try await finished() == 103, "the three tasks after it came, counted from its options")
            // Registered again: a new one, from the new options.
            try await client.registerPlugin(FinishedSince.self, options: 0)
            #expect(try await finished() == 0)
            let unknown = await #expect(throws: LoomError.self) { try await client.registerPlugin(NotOnTheScheduler.self, options: 1) }
            #expect(unknown?.message.contains("no scheduler plugin type 'not-on-the-scheduler' is registered") == true, "\(unknown?.message ?? "")")
        }
    }

    final class NotOnTheScheduler: InstallableSchedulerPlugin {
        static let typeName = "not-on-the-scheduler"
        let name = "nowhere"
        init(options: Int) {}
    }

    @Test func pluginNamesMustBeUnique() async throws {
        let server = try SchedulerServer(options: SchedulerOptions(port: 0), plugins: [ProbePlugin(), ProbePlugin()])
        let error = await #expect(throws: LoomError.self) { try await server.run() }
        #expect(error?.message.contains("two scheduler plugins are named 'probe'") == true)
    }

    @Test func workerPluginsSetUpOncePerWorkerSeeTheirTasksAndTearDown() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-plugin-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        setenv("LOOM_TEST_PLUGIN_DIR", directory, 1)
        defer { unsetenv("LOOM_TEST_PLUGIN_DIR") }
        try await withCluster { cluster, client in
            _ = try await client.gather(try await client.map(TestTasks.inc, Array(0..<10), workers: [cluster.workerNames[0]]))
            let reports = try await client.gather(try await client.map(TestTasks.pluginReport, Array(0..<10), workers: [cluster.workerNames[0]]))
            for report in reports {
                #expect(report.hasPrefix("worker=\(cluster.workerNames[0]) setups=1 "), "set up once per worker: \(report)")
                #expect(report.contains("inc=released>ready,ready>executing,executing>memory"), "\(report)")
            }
            // A worker that stops gracefully tears its plugins down.
            try await cluster.scale(1)
            try await eventually("a teardown file") {
                (try? FileManager.default.contentsOfDirectory(atPath: directory).isEmpty == false) ?? false
            }
        }
    }
}

@Suite(.serialized) struct DefaultClientTests {
    @Test func theNewestClientRunsComputeAndCloseHandsItBack() async throws {
        try await withCluster(setAsDefault: true) { cluster, client in
            let here = getpid()
            let pid = try await TestTasks.processID.delayed(1).compute()
            #expect(pid != here, "compute() ran on a worker of the newest client's cluster")
            #expect(try await TestTasks.processID.delayed(2).compute(scheduler: .threads()) == here, "a scheduler given still chooses")
            let (a, b) = try await compute(TestTasks.inc.delayed(1), TestTasks.add.delayed(TestTasks.inc.delayed(2), 10))
            #expect(a == 2 && b == 13)
            #expect(try await TestTasks.inc.delayed(41).compute(on: client) == 42)
            // Plain closures cannot go to a cluster: the error says how to run them here.
            let local = LocalFunction("local-double") { (x: Int) in x * 2 }
            let error = await #expect(throws: LoomError.self) { try await local.delayed(2).compute() }
            #expect(error?.message.contains("compute(scheduler: .threads())") == true)

            let other = try await Client(cluster, setAsDefault: false)
            #expect(try await TestTasks.processID.delayed(3).compute() != here, "a client that opts out leaves the default as it was")
            await other.close()
            _ = client
        }
        #expect(try await TestTasks.processID.delayed(4).compute() == getpid(), "closed, the client is no longer the default")
    }

    @Test func mapTakesWhatSubmitTakes() async throws {
        try await withCluster { cluster, client in
            let sums = try await client.map(TestTasks.add, [1, 2, 3], [10, 20, 30, 40], keys: ["a", "b", "c"], workers: [cluster.workerNames[1]])
            #expect(sums.map(\.key.description) == ["a", "b", "c"])
            #expect(try await client.gather(sums) == [11, 22, 33])
            let pids = try await client.gather(try await client.map(TestTasks.processID, Array(0..<20), workers: [cluster.workerNames[1]]))
            #expect(Set(pids).count == 1, "every task on the one worker asked for")
            let wrong = await #expect(throws: LoomError.self) { try await client.map(TestTasks.inc, [1, 2], keys: ["only-one"]) }
            #expect(wrong?.message.contains("1 keys for 2 tasks") == true)
        }
    }
}
