import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// Retiring workers (SchedulerState+Retirement): their only copies move to a staying worker first,
// and a worker kept after all takes work again. Replicas (SchedulerState+Replicas).

@Suite struct SchedulerStateRetirementTests {
    @Test func retiringCopiesOnlyCopiesToAStayingWorkerFirst() throws {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        cluster.submit(alice, [task("a"), task("b")])
        cluster.runAll()
        let w2 = cluster.join()
        #expect(cluster.state.onlyCopies(heldBy: w1) == 2)
        cluster.send(.retireWorkers([w1]))
        #expect(cluster.replications.map(\.worker) == [w2])
        #expect(cluster.replications.first?.keys == ["a", "b"])
        // A retiring worker takes no new work, even while it holds data.
        cluster.submit(alice, [task("c")])
        #expect(cluster.worker(running: "c") == w2)
        cluster.completeReplications()
        #expect(cluster.state.onlyCopies(heldBy: w1) == 0)
        let before = cluster.log.count
        cluster.leave(w1, .retired)
        #expect(computes(Array(cluster.log[before...])).isEmpty, "nothing is recomputed")
        #expect(cluster.state.holders(of: "a") == [w2] && cluster.state.holders(of: "b") == [w2])
    }

    @Test func replicatingCopiesAValueToTheLeastLoadedWorkersUpToTheCount() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        cluster.submit(alice, [task("a"), task("big")])
        cluster.runAll()
        let w2 = cluster.join(), w3 = cluster.join()
        cluster.submit(alice, [task("ballast")])
        let ballastHolder = cluster.worker(running: "ballast")
        cluster.finish("ballast", nbytes: 1_000)
        let lighter = ballastHolder == w2 ? w3 : w2
        cluster.send(.replicate(keys: ["a", "missing"], copies: 2))
        #expect(cluster.replications.map(\.worker) == [lighter], "one more copy, on the worker holding fewer bytes")
        cluster.completeReplications()
        #expect(Set(cluster.state.holders(of: "a")) == [w1, lighter])
        cluster.send(.replicate(keys: ["a"], copies: 2))
        #expect(cluster.replications.isEmpty, "two copies already")
        cluster.send(.replicate(keys: ["a"], copies: 10))
        cluster.completeReplications()
        #expect(Set(cluster.state.holders(of: "a")) == [w1, w2, w3], "more copies than workers: one on each")
    }

    @Test func anActorsKeyIsNeitherCopiedNorMoved() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("counter", function: SchedulerState.actorFunctionPrefix + "counter"), task("ballast")])
        cluster.finish("counter", nbytes: 300)
        cluster.finish("ballast", nbytes: 400)
        cluster.join()
        cluster.send(.replicate(keys: ["counter"], copies: 2))
        #expect(cluster.replications.isEmpty, "its instance lives on its worker alone")
        cluster.send(.rebalance(keys: nil))
        // Of the 700 bytes, moving the actor's 300 would bring both workers under the mean.
        #expect(cluster.replications.isEmpty, "the fuller worker keeps its actor")
    }

    @Test func aRebalanceMovesValuesOffTheFullestWorkerAndDropsItsCopies() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        cluster.submit(alice, (0..<4).map { task("v\($0)") })
        for index in 0..<4 { cluster.finish("v\(index)", nbytes: 100) }
        let w2 = cluster.join()
        cluster.send(.rebalance(keys: nil))
        #expect(cluster.replications.map(\.worker) == [w2] && cluster.replications.first?.keys.count == 2, "half of 400 bytes moves")
        #expect(cluster.state.movesInFlight == 2)
        cluster.completeReplications()
        #expect(cluster.state.movesInFlight == 0)
        #expect(cluster.state.keys(heldBy: w1).count == 2 && cluster.state.keys(heldBy: w2).count == 2)
        #expect(cluster.workers[w1]?.held.count == 2, "the sender was told to free what moved")
        cluster.send(.rebalance(keys: nil))
        #expect(cluster.replications.isEmpty, "balanced already")
    }

    @Test func aWorkerKeptAfterAllTakesWorkAgain() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        cluster.send(.retireWorkers([w1]))
        cluster.submit(alice, [task("a", function: "g"), task("b", ["a"])])
        #expect(cluster.replications.isEmpty, "no staying worker to copy to")
        #expect(cluster.state.state(of: "a") == .queued)
        cluster.send(.keepWorkers([w1]))
        #expect(cluster.worker(running: "a") == w1)
    }
}
