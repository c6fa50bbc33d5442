import Foundation
import Loom
import LoomTestSupport
import Testing

/// Keys that outlive their futures or name the call: fire-and-forget and pure keys.
@Suite(.serialized) struct TaskKeysTests {
    @Test func aFiredAndForgottenTaskRunsAfterItsClientIsGone() async throws {
        try await withCluster { cluster, client in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-fire-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let fired = folder.appendingPathComponent("fired").path, dropped = folder.appendingPathComponent("dropped").path
            let other = try await Client(cluster, setAsDefault: false)
            // Each marker waits on a slow task, so neither has started when its client goes.
            let firedFuture = try await other.persist(TestTasks.writeMarker.delayed(fired, TestTasks.sleepThenEcho.delayed(1, 1.5)))
            let droppedFuture = try await other.persist(TestTasks.writeMarker.delayed(dropped, TestTasks.sleepThenEcho.delayed(2, 1.5)))
            other.fireAndForget(firedFuture)
            // Gone while both wait: the wants it had are released at once.
            await other.close()
            try await eventually("the fired-and-forgotten task to write its marker") { FileManager.default.fileExists(atPath: fired) }
            #expect(try String(contentsOfFile: fired, encoding: .utf8) == "1\n")
            // The scheduler wanted it only until it was done: then nothing holds it.
            try await eventually("the scheduler to let the finished task go") {
                try await client.whoHas([firedFuture])[firedFuture.key]?.isEmpty ?? true
            }
            // The chain released with its client, alike but for its marker, never wrote.
            _ = droppedFuture
            #expect(!FileManager.default.fileExists(atPath: dropped), "the task nobody wanted any more did not run")
        }
    }

    @Test func thePureCallIsOneTask() async throws {
        try await withCluster(workers: 1) { cluster, client in
            let first = try await client.submit(TestTasks.countCalls, 7, pure: true)
            let again = try await client.submit(TestTasks.countCalls, 7, pure: true)
            let other = try await client.submit(TestTasks.countCalls, 8, pure: true)
            #expect(first.key == again.key && first.key != other.key)
            #expect(first.key.description.hasPrefix("count-calls-"))
            let elsewhere = try await Client(cluster, setAsDefault: false)
            let fromAnotherClient = try await elsewhere.submit(TestTasks.countCalls, 7, pure: true)
            #expect(fromAnotherClient.key == first.key, "keys depend on the call alone")
            // One worker, so the call count is the number of times a task ran there.
            #expect(try await client.gather([first, again, other]).sorted() == [1, 1, 2])
            #expect(try await fromAnotherClient.result() == 1, "held, so not computed again")
            let impure = try await client.map(TestTasks.countCalls, [7, 7])
            let counts = try await client.gather(impure)
            #expect(impure[0].key != impure[1].key && Set(counts) == [3, 4])
            await elsewhere.close()
        }
    }

    @Test func aPureKeySubmittedTwiceGoesWhenBothFuturesDo() async throws {
        try await withCluster { _, client in
            do {
                let first = try await client.submit(TestTasks.inc, 5, pure: true)
                let again = try await client.submit(TestTasks.inc, 5, pure: true)
                #expect(try await client.gather([first, again]) == [6, 6])
            }
            try await eventually("the workers to drop the result once no future of it is left") {
                try await client.schedulerInfo().allSatisfy { $0.inMemory == 0 }
            }
        }
    }
}

/// Abstract resources a LocalCluster's workers offer, held by the tasks that ask for them.
@Suite(.serialized) struct LocalClusterResourcesTests {
    @Test(.timeLimit(.minutes(2))) func tasksThatAskForAResourceRunOnWorkersThatOfferIt() async throws {
        try TaskRegistry.shared.register([TestTasks.inc])  // for the workers in this process
        for processes in [true, false] {
            let cluster = try await LocalCluster(
                workers: 1, threadsPerWorker: 2, memoryLimit: "1GB", processes: processes, executable: TestTasks.workerExecutable,
                dashboardAddress: nil, resources: ["GPU": 1])
            let client = try await Client(cluster, setAsDefault: false)
            // Without the worker's GPU these would wait for ever (the time limit would end the test).
            let futures = try await client.map(TestTasks.inc, [1, 2, 3], resources: ["GPU": 1])
            #expect(try await client.gather(futures) == [2, 3, 4], "processes: \(processes)")
            await client.close()
            await cluster.close()
        }
    }
}
