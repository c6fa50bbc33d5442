import Foundation
import Loom
import LoomTestSupport
import Testing

/// Results as a Dask user reaches for them: gather past failures, a result with a timeout, a
/// cancelled wait, callbacks, as-completed with results, who holds what, a client that waits
/// for its scheduler to come up.
@Suite(.serialized) struct ClientResultsTests {
    @Test func gatherSkipsTheFailedOrRaisesTheFirst() async throws {
        try await withCluster { _, client in
            let futures = [try await client.submit(TestTasks.inc, 1), try await client.submit(TestTasks.fail, 2), try await client.submit(TestTasks.inc, 3)]
            #expect(try await client.gather(futures, errors: .skip) == [2, 4])
            let error = await #expect(throws: LoomError.self) { try await client.gather(futures, errors: .raise) }
            #expect(error?.code == .taskFailed && error?.message.contains("bad input 2") == true, "\(String(describing: error))")
        }
    }

    @Test func aResultNotReadyInTimeIsATimeoutAndACancelledWaitACancellationError() async throws {
        try await withCluster { _, client in
            let slow = try await client.submit(TestTasks.sleepThenEcho, 1, 30.0)
            let late = await #expect(throws: LoomError.self) { try await slow.result(timeout: .milliseconds(200)) }
            #expect(late?.code == .timeout && late?.key == slow.key, "\(String(describing: late))")
            let waiting = Task { try await slow.result() }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            let fast = try await client.submit(TestTasks.inc, 41)
            #expect(try await fast.result(timeout: .seconds(60)) == 42)
            try await client.cancel([slow])
        }
    }

    @Test func onCompletionCallsBackWithTheResultOrTheError() async throws {
        try await withCluster { _, client in
            let (outcomes, record) = AsyncStream.makeStream(of: String.self)
            try await client.submit(TestTasks.inc, 1).onCompletion { result in record.yield((try? result.get()).map { "value \($0)" } ?? "error") }
            try await client.submit(TestTasks.fail, 2).onCompletion { result in
                if case .failure(let error) = result { record.yield("error \(error)") }
            }
            var seen: [String] = []
            for await outcome in outcomes {
                seen.append(outcome)
                if seen.count == 2 { break }
            }
            #expect(seen.contains("value 2") && seen.contains { $0.hasPrefix("error") && $0.contains("bad input 2") }, "\(seen)")
        }
    }

    @Test func asCompletedWithResultsGivesEachValueAndThrowsAFailure() async throws {
        try await withCluster(threads: 2) { _, client in
            let futures = try await client.map(TestTasks.inc, Array(0..<20))
            var values: [Int] = []
            for try await (future, value) in client.asCompleted(futures).withResults {
                #expect(futures.contains { $0 === future })
                values.append(value)
            }
            #expect(values.sorted() == Array(1...20))
            let failing = [try await client.submit(TestTasks.fail, 7)]
            await #expect(throws: LoomError.self) {
                for try await _ in client.asCompleted(failing).withResults {}
            }
        }
    }

    @Test func aRetriedFutureIsComputedAgainWithTheErredTaskUnderIt() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("loom-retry-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        try await withCluster { _, client in
            let flaky = try await client.submit(TestTasks.failFirstTime, marker, 41)
            let dependent = try await client.submit(TestTasks.inc, flaky)
            let first = await #expect(throws: LoomError.self) { try await dependent.result() }
            #expect(first?.message.contains("first call of") == true)
            #expect(await flaky.status == .error)
            try await dependent.retry()
            #expect(await dependent.status != .error, "pending again at once")
            #expect(try await dependent.result() == 42, "the dependent and the task that failed under it ran again")
            #expect(try await flaky.result() == 41)
            try await flaky.retry()
            #expect(try await flaky.result() == 41, "retrying a future that did not err changes nothing")
        }
    }

    @Test func whoHasNamesTheWorkersHoldingEachResult() async throws {
        try await withCluster { _, client in
            let futures = try await client.map(TestTasks.inc, Array(0..<6))
            _ = try await client.gather(futures)
            let workers = Set(try await client.schedulerInfo().map(\.address))
            let holders = try await client.whoHas(futures)
            #expect(holders.count == 6 && holders.values.allSatisfy { !$0.isEmpty && Set($0).isSubset(of: workers) }, "\(holders)")
        }
    }

    @Test func hasWhatIsWhoHasTheOtherWayRound() async throws {
        try await withCluster { _, client in
            let futures = try await client.map(TestTasks.inc, Array(0..<8))
            _ = try await client.gather(futures)
            let holders = try await client.whoHas(futures)
            let held = try await client.hasWhat()
            let workers = Set(try await client.schedulerInfo().map(\.address))
            #expect(Set(held.keys) == workers)
            let pairs = held.flatMap { worker, keys in keys.map { (key: $0, worker: worker) } }
            let inverted = Dictionary(grouping: pairs, by: \.key).mapValues { Set($0.map(\.worker)) }
            #expect(inverted == holders.mapValues(Set.init), "\(held)")
        }
    }

    @Test func replicatePutsCopiesOnEveryWorker() async throws {
        try await withCluster { _, client in
            let futures = try await client.map(TestTasks.inc, Array(0..<6))
            try await client.replicate(futures)
            let workers = Set(try await client.schedulerInfo().map(\.address))
            #expect(try await client.whoHas(futures).values.allSatisfy { Set($0) == workers })
            let failing = [try await client.submit(TestTasks.fail, 1)]
            let error = await #expect(throws: LoomError.self) { try await client.replicate(failing, n: 2) }
            #expect(error?.message.contains("bad input 1") == true, "a value that cannot be had says why")
        }
    }

    @Test func retiredWorkersHandTheirValuesOnAndClose() async throws {
        try await withCluster { cluster, client in
            let futures = try await client.map(TestTasks.inc, Array(0..<10))
            _ = try await client.gather(futures)
            let leaving = try await client.schedulerInfo().sorted { $0.name < $1.name }[0]
            #expect(leaving.inMemory > 0, "the retiring worker holds values to hand on")
            let nanny = try #require(cluster.nannies.first { $0.name == leaving.name })
            let process = try #require(nanny.processIdentifier)
            #expect(try await client.retireWorkers([leaving.address]) == [leaving.name])
            let left = try await client.schedulerInfo()
            #expect(left.count == 1 && left[0].name != leaving.name)
            #expect(try await client.gather(futures) == Array(1...10), "nothing lost")
            try await eventually("the retired worker's process to exit") { kill(process, 0) != 0 }
            #expect(nanny.restarts == 0, "its nanny did not start it again")
            let unknown = await #expect(throws: LoomError.self) { try await client.retireWorkers(["nobody"]) }
            #expect(unknown?.message.contains("no worker named or at 'nobody'") == true)
        }
    }

    @Test func rebalanceSpreadsValuesHeldByOneWorker() async throws {
        try await withCluster { cluster, client in
            let first = cluster.workerNames[0]
            let futures = try await client.map(TestTasks.inc, Array(0..<10), workers: [first])
            _ = try await client.gather(futures)
            #expect(try await client.hasWhat().values.map(\.count).sorted() == [0, 10])
            try await client.rebalance()
            #expect(try await client.hasWhat().values.map(\.count).sorted() == [5, 5], "moved, not copied")
            #expect(try await client.gather(futures) == Array(1...10))
        }
    }

    @Test func runOnSchedulerCallsAFunctionInTheSchedulersProcess() async throws {
        try TaskRegistry.shared.register([TestTasks.workerProcessID, TestTasks.fail])  // the scheduler runs in this process
        try await withCluster { _, client in
            let schedulerProcess = try await client.runOnScheduler(TestTasks.workerProcessID)
            #expect(schedulerProcess == getpid())
            let error = await #expect(throws: LoomError.self) { try await client.runOnScheduler(TestTasks.fail, 3) }
            #expect(error?.message.contains("bad input 3") == true && error?.message.contains("TestFailure") == true, "\(String(describing: error))")
        }
    }

    @Test func aClientWithATimeoutWaitsForItsSchedulerToComeUp() async throws {
        let port = try #require(ECSTaskAgent.freePort())
        let nobody = await #expect(throws: LoomError.self) {
            try await Client(address: "tcp://127.0.0.1:\(port)", timeout: .milliseconds(300), setAsDefault: false)
        }
        #expect(nobody?.code == .timeout && nobody?.message.contains("did not answer within") == true, "\(String(describing: nobody))")
        let connecting = Task { try await Client(address: "tcp://127.0.0.1:\(port)", timeout: .seconds(60), setAsDefault: false) }
        let scheduler = try await RunningScheduler(SchedulerOptions(host: "127.0.0.1", port: port))
        let client = try await connecting.value
        #expect(try await client.schedulerInfo().isEmpty)
        await client.close()
        await scheduler.stop()
    }
}
