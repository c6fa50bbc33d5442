import Foundation
import Loom
import LoomTestSupport
import Testing

/// The scheduler's variables, queues, events, locks and semaphores, used from two clients, one
/// of which goes away.
@Suite(.serialized) struct CoordinationTests {
    /// A cluster without workers and two clients of its scheduler.
    func withTwoClients(_ body: (LocalCluster, Client, Client) async throws -> Void) async throws {
        try await withCluster(workers: 0) { cluster, first in
            let second = try await Client(address: cluster.schedulerAddress, setAsDefault: false)
            do {
                try await body(cluster, first, second)
                await second.close()
            } catch {
                await second.close()
                throw error
            }
        }
    }

    @Test func aVariableSetByOneClientIsReadByAnotherAndOutlivesIt() async throws {
        try await withTwoClients { cluster, first, second in
            let unset = try await Variable<String>("greeting", client: second)
            let early = await #expect(throws: LoomError.self) { try await unset.get(timeout: .milliseconds(200)) }
            #expect(early?.code == .timeout)
            // A reader waiting before anything is set gets the value once it is.
            let waiting = Task { try await unset.get() }
            let writer = try await Client(address: cluster.schedulerAddress, setAsDefault: false)
            try await Variable<String>("greeting", client: writer).set("hello")
            await writer.close()
            #expect(try await waiting.value == "hello")
            #expect(try await Variable<String>("greeting", client: first).get() == "hello", "the writer's client is gone, the value stays")
            try await unset.delete()
            await #expect(throws: LoomError.self) { try await unset.get(timeout: .zero) }
        }
    }

    @Test func aQueueIsFirstInFirstOutBoundedAndSharedByClients() async throws {
        try await withTwoClients { _, first, second in
            let producer = try await LoomQueue<Int>("jobs", client: first, maxSize: 2)
            let consumer = try await LoomQueue<Int>("jobs", client: second)
            try await producer.put(1)
            try await producer.put(2)
            let full = await #expect(throws: LoomError.self) { try await producer.put(3, timeout: .milliseconds(200)) }
            #expect(full?.code == .timeout)
            #expect(try await consumer.count == 2)
            // A put waiting for room goes in once a get makes some.
            let blocked = Task { try await producer.put(3) }
            #expect(try await consumer.get() == 1)
            try await blocked.value
            #expect(try await consumer.get() == 2)
            #expect(try await consumer.get() == 3)
            let empty = await #expect(throws: LoomError.self) { try await consumer.get(timeout: .milliseconds(200)) }
            #expect(empty?.code == .timeout)
            // In batches, as Dask's get(batch=): n at once, or all there are.
            let batches = try await LoomQueue<Int>("batches", client: first)
            for value in 10..<15 { try await batches.put(value) }
            let taker = try await LoomQueue<Int>("batches", client: second)
            #expect(try await taker.get(batch: 3) == [10, 11, 12])
            let short = await #expect(throws: LoomError.self) { try await taker.get(batch: 3, timeout: .milliseconds(200)) }
            #expect(short?.code == .timeout)
            #expect(try await taker.getAll() == [13, 14], "the batch that timed out took none")
            #expect(try await taker.getAll() == [])
            // Ten thousand through it, in order.
            let count = 10_000
            let feeding = Task { for value in 0..<count { try await producer.put(value) } }
            var received: [Int] = []
            for _ in 0..<count { received.append(try await consumer.get()) }
            try await feeding.value
            #expect(received == Array(0..<count))
        }
    }

    @Test func futuresGoThroughVariablesAndQueuesAndLiveWhileHeld() async throws {
        try await withCluster(workers: 1) { cluster, first in
            func held() async throws -> Set<Key> { Set(try await first.hasWhat().values.flatMap { $0 }) }
            let second = try await Client(cluster, setAsDefault: false)
            // Set by one client, which then lets its future go and closes: the variable keeps it.
            let writer = try await Client(cluster, setAsDefault: false)
            var future: Future<Int>? = try await writer.submit(TestTasks.inc, 41)
            let key = try #require(future?.key)
            try await Variable<Future<Int>>("answer", client: writer).set(try #require(future))
            future = nil
            await writer.close()
            let read = try await Variable<Future<Int>>("answer", client: second).get(timeout: .seconds(30))
            #expect(read.key == key)
            #expect(try await read.result() == 42)

            // Through a queue: put, the putter's future gone, taken by another client.
            let queue = try await LoomQueue<[Future<Int>]>("work", client: first)
            var batch: [Future<Int>]? = try await first.map(TestTasks.inc, [1, 2, 3])
            let keys = try #require(batch).map(\.key)
            try await queue.put(try #require(batch))
            batch = nil
            let taken = try await LoomQueue<[Future<Int>]>("work", client: second).get(timeout: .seconds(30))
            #expect(taken.map(\.key) == keys)
            #expect(try await second.gather(taken) == [2, 3, 4])
            // Nobody holds them any more: their values go.
            _ = consume taken
            try await eventually("the taken futures' values to go") { try await held().isDisjoint(with: keys) }
            // Deleted, the variable stops keeping its future.
            _ = consume read
            #expect(try await held().contains(key), "the variable keeps it")
            try await Variable<Future<Int>>("answer", client: first).delete()
            try await eventually("the variable's future to go") { try await held().contains(key) == false }
            await second.close()
        }
    }

    /// How many requests wait on `topic` on the cluster's scheduler now.
    func waiting(on topic: String, in cluster: LocalCluster) async throws -> Int {
        struct Summary: Decodable { var waiting: [String: Int] }
        let scheduler = try #require(cluster.base.scheduler as? SchedulerServer)
        let status = try #require(await scheduler.pluginStatus(named: "coordination"))
        return try JSONDecoder().decode(Summary.self, from: JSONEncoder().encode(status)).waiting[topic] ?? 0
    }

    @Test func aWaitIsCancelledWithTheTaskAndTakesNothing() async throws {
        try await withTwoClients { cluster, first, second in
            let queue = try await LoomQueue<Int>("cancelled", client: first)
            let waiting = Task { try await queue.get() }
            // Cancelled while its request waits on the scheduler.
            try await eventually("the get waits on the scheduler") { try await self.waiting(on: "queue/cancelled", in: cluster) == 1 }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            try await LoomQueue<Int>("cancelled", client: second).put(7)
            #expect(try await queue.get(timeout: .seconds(30)) == 7, "the cancelled get took nothing")
        }
    }

    @Test func anEventWakesItsWaitersAndClears() async throws {
        try await withTwoClients { _, first, second in
            let ready = try await Event("ready", client: first)
            #expect(try await ready.wait(timeout: .milliseconds(200)) == false)
            let waiting = Task { try await ready.wait() }
            try await Event("ready", client: second).set()
            #expect(try await waiting.value)
            #expect(try await ready.isSet)
            try await ready.clear()
            #expect(try await ready.isSet == false)
        }
    }

    @Test func aLockIsHeldByOneAtATimeAndADeadHoldersLeaseExpires() async throws {
        try await withTwoClients { cluster, first, second in
            let mine = try await DistributedLock("db", client: first)
            let theirs = try await DistributedLock("db", client: second)
            #expect(try await mine.acquire())
            #expect(try await theirs.acquire(timeout: .milliseconds(200)) == false)
            try await mine.release()
            let inside = try await theirs.withLock { "held" }
            #expect(inside == "held")

            // A holder whose client goes without releasing: its lease goes with the client, long
            // before its ten-minute timeout.
            let doomed = try await Client(address: cluster.schedulerAddress, setAsDefault: false)
            let dying = try await DistributedLock("long", leaseTimeout: .seconds(600), client: doomed)
            #expect(try await dying.acquire())
            await doomed.close()
            let heir = try await DistributedLock("long", leaseTimeout: .seconds(600), client: second)
            #expect(try await heir.acquire(timeout: .seconds(20)), "the closed client's lease went with it")
            try await heir.release()

            // A holder that stops refreshing (its lock object gone, its client still here): the
            // lease ends after its timeout.
            var abandoned: DistributedLock? = try await DistributedLock("short", leaseTimeout: .seconds(1), client: first)
            #expect(try await abandoned?.acquire() == true)
            abandoned = nil
            let next = try await DistributedLock("short", leaseTimeout: .seconds(1), client: second)
            #expect(try await next.acquire(timeout: .seconds(60)), "the abandoned lease expired")
            // A live holder keeps its lease past the timeout by refreshing it.
            let rival = try await DistributedLock("short", leaseTimeout: .seconds(1), client: first)
            #expect(try await rival.acquire(timeout: .seconds(3)) == false)
            try await next.release()
            _ = abandoned
        }
    }

    @Test func aSemaphoreGivesAtMostItsLeases() async throws {
        try await withTwoClients { _, first, second in
            let slots = try await Semaphore("api", maxLeases: 2, client: first)
            let other = try await Semaphore("api", maxLeases: 2, client: second)
            #expect(try await slots.acquire())
            #expect(try await other.acquire())
            #expect(try await other.acquire(timeout: .milliseconds(200)) == false)
            try await slots.release()
            #expect(try await other.acquire(timeout: .seconds(30)))
            await #expect(throws: LoomError.self) { try await slots.release() }
            try await other.release()
            try await other.release()
        }
    }
}
