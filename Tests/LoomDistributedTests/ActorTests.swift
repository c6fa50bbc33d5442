import Foundation
import Loom
import LoomTestSupport
import Testing

/// Actors: an instance made on one worker, its methods run there one at a time in the order
/// they came, across calls from several tasks, a method's failure and its worker's death.
@Suite(.serialized) struct ActorTests {
    @Test func anActorsCallsRunOneAtATimeInTheOrderTheyCame() async throws {
        try await withCluster(workers: 2) { _, client in
            let tally = try await client.submitActor(TestActors.tally, 100)
            // One caller: each call sees the one before it.
            #expect(try await tally.call(Tally.add, 1) == 101)
            #expect(try await tally.call(Tally.add, 2) == 103)
            // Many at once: each runs alone (a method that yields halfway loses no update), and
            // the order they ran in is the one the actor recorded.
            let calls = try await withThrowingTaskGroup(of: (amount: Int, total: Int).self) { group in
                for amount in 1...50 { group.addTask { (amount, try await tally.call(Tally.add, amount)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(calls.map(\.total)).count == 50, "each call saw a different total")
            #expect(calls.map(\.total).max() == 103 + (1...50).reduce(0, +))
            let ranInOrder = calls.sorted { $0.total < $1.total }.map(\.amount)
            #expect(try await tally.call(Tally.seenSoFar) == [1, 2] + ranInOrder)

            // Another instance has its own state.
            let other = try await client.submitActor(TestActors.tally, 0)
            #expect(try await other.call(Tally.add, 5) == 5)
            #expect(other.key != tally.key)
        }
    }

    @Test func anActorLivesWhereItWasPlacedAndAFailingMethodSaysWhy() async throws {
        try await withCluster(workers: 2) { _, client in
            let workers = try await client.schedulerInfo()
            let tally = try await client.submitActor(TestActors.tally, 7, workers: [workers[1].name])
            #expect(tally.worker == workers[1].address)
            let pids = try await client.run(TestTasks.workerProcessID, workers: [workers[1].address])
            #expect(try await tally.call(Tally.where_) == pids[workers[1].address])
            let failure = await #expect(throws: LoomError.self) { try await tally.call(Tally.fail, "on purpose") }
            #expect(failure?.message.contains("tally at 7: on purpose") == true)
            #expect(failure?.function == "actor-method/tally.fail")
            // The failure changed nothing: the actor goes on.
            #expect(try await tally.call(Tally.add, 1) == 8)
        }
    }

    @Test func anActorGoesWithItsWorker() async throws {
        try await withCluster(workers: 2) { _, client in
            let tally = try await client.submitActor(TestActors.tally, 1)
            let pid = try await tally.call(Tally.where_)
            kill(pid, SIGKILL)
            let lost = await #expect(throws: LoomError.self) { try await tally.call(Tally.add, 1) }
            #expect(lost?.code == .workerDied)
            #expect(lost?.message.contains(tally.key.description) == true)
        }
    }
}
