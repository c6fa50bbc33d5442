import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomDistributed
@testable import LoomRuntime

/// A client whose connection drops gets its work back if it reconnects in time; otherwise the
/// scheduler releases that work after its client timeout.
@Suite(.serialized) struct ClientConnectionLossTests {
    @Test func aClientReconnectsAndHearsWhatFinishedMeanwhile() async throws {
        try await withCluster { _, client in
            let held = try await client.submit(TestTasks.inc, 1)
            #expect(try await held.result() == 2)
            let running = try await client.submit(TestTasks.sleepThenEcho, 7, 0.5)
            await client.connection.dropConnection()
            #expect(try await running.result() == 7, "finished while the client was away")
            #expect(try await held.result() == 2, "kept for the client while it was away")
            #expect(try await client.submit(TestTasks.inc, 41).result() == 42, "the new connection works")
        }
    }

    @Test func workOfAClientThatDoesNotComeBackIsReleasedAfterTheTimeout() async throws {
        try TaskRegistry.shared.register([TestTasks.inc])
        let scheduler = try await RunningScheduler(SchedulerOptions(port: 0, clientTimeout: .seconds(2)))
        let address = scheduler.address
        let worker = Task { try await WorkerServer(options: WorkerOptions(scheduler: address, name: "w", threads: 1)).run() }
        let observer = try await Client(address: address, setAsDefault: false)
        let leaver = try await Client(address: address, reconnectTimeout: .zero, setAsDefault: false)
        let future = try await leaver.submit(TestTasks.inc, 1)
        #expect(try await future.result() == 2)
        await leaver.connection.dropConnection()
        #expect(try await observer.schedulerInfo().map(\.inMemory).reduce(0, +) == 1, "kept while the client may come back")
        try await eventually("the work to be released once the client timeout passed") {
            try await observer.schedulerInfo().map(\.inMemory).reduce(0, +) == 0
        }
        await observer.close()
        await leaver.close()
        worker.cancel()
        await scheduler.stop()
    }

    @Test func aClientWhoseWorkWasDroppedWhileAwayHearsItWasCancelled() async throws {
        try TaskRegistry.shared.register([TestTasks.sleepThenEcho])
        // No client timeout: a dropped client's work goes at once, even if it is back first.
        let scheduler = try await RunningScheduler(SchedulerOptions(port: 0, clientTimeout: .zero))
        let address = scheduler.address
        let worker = Task { try await WorkerServer(options: WorkerOptions(scheduler: address, name: "w", threads: 2)).run() }
        let client = try await Client(address: address, setAsDefault: false)
        defer {
            worker.cancel()
            Task { await scheduler.stop() }
        }
        let running = try await client.submit(TestTasks.sleepThenEcho, 1, 5.0)
        await client.connection.dropConnection()
        // Settled (well before the task itself would have finished) rather than waiting for ever.
        try await client.wait([running], timeout: .seconds(60))
        let error = await #expect(throws: LoomError.self) { try await running.result() }
        #expect(error?.code == .cancelled, "told on reconnecting: \(String(describing: error))")
        #expect(try await client.submit(TestTasks.sleepThenEcho, 2, 0.0).result() == 2, "the new connection works")
        await client.close()
    }

    @Test func aClosingClientsWorkGoesAtOnce() async throws {
        try TaskRegistry.shared.register([TestTasks.inc])
        // An hour's client timeout: within the test, only the goodbye close() says releases the work.
        let scheduler = try await RunningScheduler(SchedulerOptions(port: 0, clientTimeout: .seconds(3_600)))
        let address = scheduler.address
        let worker = Task { try await WorkerServer(options: WorkerOptions(scheduler: address, name: "w", threads: 1)).run() }
        defer {
            worker.cancel()
            Task { await scheduler.stop() }
        }
        let observer = try await Client(address: address, setAsDefault: false)
        let leaver = try await Client(address: address, setAsDefault: false)
        let future = try await leaver.submit(TestTasks.inc, 1)
        #expect(try await future.result() == 2)
        await leaver.close()
        try await eventually("the closed client's work to be released") {
            try await observer.schedulerInfo().map(\.inMemory).reduce(0, +) == 0
        }
        withExtendedLifetime(future) {}  // held to here: not released by the future going away
        await observer.close()
    }
}
