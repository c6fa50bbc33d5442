import Foundation
import Loom
import LoomTestSupport
import Testing

/// The coordination primitives reached from tasks (`TaskContext.client()`), across a worker's
/// death and a client's, and topics (`Pub`/`Sub`).
@Suite(.serialized) struct CoordinationFromTasksTests {
    @Test func aLockHeldByATaskIsKeptWhileItsWorkerLivesAndFreedWhenItDies() async throws {
        try await withCluster(workers: 1) { _, client in
            // A ten-minute lease: only the worker's death frees it within the test.
            let holder = try await client.submit(TestTasks.holdLock, "db", 600.0)
            let pid = try await holder.result()
            let lock = try await DistributedLock("db", leaseTimeout: .seconds(600), client: client)
            #expect(try await lock.acquire(timeout: .seconds(1)) == false, "the task holds it")
            // Nobody wants the task any more, so the worker's death does not run it again.
            try await holder.cancel()
            try await eventually("the scheduler to let the holding task go") {
                try await client.whoHas([holder])[holder.key]?.isEmpty ?? true
            }
            kill(pid, SIGKILL)
            #expect(try await lock.acquire(timeout: .seconds(30)), "the dead worker's lease went with it")
            try await lock.release()
        }
    }

    @Test func aGetWaitingOnADeadWorkerTakesNothing() async throws {
        try await withCluster(workers: 1) { cluster, client in
            let queue = try await LoomQueue<Int>("work", client: client)
            let taker = try await client.submit(TestTasks.takeFromQueue, "work")
            let pid = try await Variable<Int32>("work/pid", client: client).get(timeout: .seconds(60))
            try await eventually("the task's get waits on the scheduler") {
                try await CoordinationTests().waiting(on: "queue/work", in: cluster) == 1
            }
            try await taker.cancel()
            kill(pid, SIGKILL)
            try await eventually("the dead worker's get to go") {
                guard try await client.schedulerInfo().isEmpty else { return false }
                return try await CoordinationTests().waiting(on: "queue/work", in: cluster) == 0
            }
            // What is put now stays for the next taker.
            try await queue.put(42)
            #expect(try await queue.get(timeout: .seconds(30)) == 42)
        }
    }

    @Test func aTaskPublishesToEverySubscriberInOrder() async throws {
        try await withCluster(workers: 1) { cluster, client in
            let sub = try await Sub<String>("progress", client: client)
            let other = try await Client(cluster, setAsDefault: false)
            let gone = try await Sub<String>("progress", client: other, timeout: .milliseconds(500))
            let reached = try await client.submit(TestTasks.publish, "progress", ["a", "b", "c"]).result()
            #expect(reached == 2)
            var heard: [String] = []
            for try await value in sub {
                heard.append(value)
                if heard.count == 3 { break }
            }
            #expect(heard == ["a", "b", "c"])
            #expect(try await gone.get(timeout: .seconds(5)) == "a")
            // A subscriber whose client went stops counting once its timeout passes.
            await other.close()
            let pub = try await Pub<String>("progress", client: client)
            try await eventually("the closed client's subscriber to expire") { try await pub.put("tick") == 1 }
            // Nothing published before a subscriber came is kept for it.
            let late = try await Sub<String>("progress", client: client)
            let nothing = await #expect(throws: LoomError.self) { try await late.get(timeout: .milliseconds(100)) }
            #expect(nothing?.code == .timeout)
            try await late.close()
            _ = gone
        }
    }
}
