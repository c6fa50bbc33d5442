import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// Work stealing (SchedulerState+Stealing): idle workers take queued-up tasks from saturated
// ones when it pays, only tasks they may run, and only once the victim agrees.

@Suite struct SchedulerStateStealingTests {
    /// One worker holding all six tasks (queueing off, so none waits on the scheduler): the
    /// victim of the steals.
    private func stealingCluster() -> (SimulatedCluster, WorkerID) {
        var configuration = SchedulerConfiguration()
        configuration.workerSaturation = .infinity
        var cluster = SimulatedCluster(configuration)
        let w1 = cluster.join()
        cluster.submit(alice, (0..<6).map { task("t\($0)") })
        return (cluster, w1)
    }

    @Test func idleWorkersStealFromSaturatedOnes() throws {
        var (cluster, w1) = stealingCluster()
        #expect(cluster.state.workerInfo(w1)?.processing == 6)
        cluster.send(.tick(now: 1))
        #expect(cluster.steals.isEmpty, "nobody to steal for")

        let w2 = cluster.join()
        cluster.send(.tick(now: 2))
        // The tasks that would run last go: w2 takes one per thread it has.
        #expect(cluster.steals.map(\.key) == ["t5"])
        #expect(cluster.steals.allSatisfy { $0.worker == w1 })
        cluster.send(.tick(now: 2.1))
        #expect(cluster.steals.count == 1, "a task already asked for is not asked for again")

        cluster.answerSteal(accept: true)
        #expect(cluster.worker(running: "t5") == w2)
        #expect(cluster.state.workerInfo(w1)?.processing == 5)
        #expect(cluster.state.workerInfo(w2)?.processing == 1)
        cluster.runAll()
        for index in 0..<6 { #expect(cluster.outcome(alice, "t\(index)") == .memory) }
    }

    @Test func aRejectedStealLeavesTheTaskWhereItIs() {
        var (cluster, w1) = stealingCluster()
        let w2 = cluster.join()
        cluster.send(.tick(now: 1))
        let key = cluster.steals.first?.key ?? ""
        cluster.answerSteal(accept: false)
        #expect(cluster.worker(running: key) == w1)
        #expect(cluster.state.workerInfo(w2)?.processing == 0)
        #expect(cluster.state.worker(processing: key) == w1)
        cluster.runAll()
        #expect(cluster.outcome(alice, key) == .memory)
    }

    @Test func aStealAnsweredAfterTheTaskFinishedIsIgnored() {
        var (cluster, w1) = stealingCluster()
        let w2 = cluster.join()
        cluster.send(.tick(now: 1))
        let (_, key, runID) = cluster.steals.removeFirst()
        cluster.finish(key)
        let effects = cluster.send(.stealResponse(worker: w1, key: key, runID: runID, accepted: true))
        #expect(effects.isEmpty)
        #expect(cluster.state.state(of: key) == .memory)
        #expect(cluster.state.workerInfo(w2)?.processing == 0)
    }

    @Test func stealingSkipsTasksWhoseDataIsTooCostlyToMove() {
        var configuration = SchedulerConfiguration()
        configuration.workerSaturation = .infinity
        var cluster = SimulatedCluster(configuration)
        cluster.join()
        cluster.submit(alice, [task("huge")])
        cluster.finish("huge", nbytes: 10_000_000_000)  // 100 s to move
        cluster.submit(alice, (0..<4).map { task("use-\($0)", ["huge"]) })
        cluster.join()
        cluster.send(.tick(now: 1))
        #expect(cluster.steals.isEmpty)
    }

    @Test func aThiefThatLeavesBeforeTheAnswerDoesNotGetTheTask() {
        var (cluster, _) = stealingCluster()
        let w2 = cluster.join()
        cluster.send(.tick(now: 1))
        let key = cluster.steals.first?.key ?? ""
        cluster.leave(w2)
        let w3 = cluster.join()
        cluster.answerSteal(accept: true)
        #expect(cluster.worker(running: key) == w3, "placed afresh on the best worker")
        cluster.runAll()
        #expect(cluster.outcome(alice, key) == .memory)
    }

    @Test func stealingRespectsRestrictionsAndResources() {
        var configuration = SchedulerConfiguration()
        configuration.workerSaturation = .infinity
        var cluster = SimulatedCluster(configuration)
        let w1 = cluster.join("gpu-1", resources: ["GPU": 4])
        cluster.submit(alice, (0..<4).map { task("pinned-\($0)", allowed: ["gpu-1"]) })
        cluster.submit(alice, (0..<4).map { task("train-\($0)", resources: ["GPU": 1]) })
        #expect(cluster.state.workerInfo(w1)?.processing == 8)
        cluster.join("plain")
        cluster.send(.tick(now: 1))
        #expect(cluster.steals.isEmpty, "the new worker may run none of them")

        let w3 = cluster.join("gpu-2", resources: ["GPU": 1])
        cluster.send(.tick(now: 2))
        #expect(cluster.steals.map(\.key) == ["train-3"])
        cluster.answerSteal()
        #expect(cluster.worker(running: "train-3") == w3)
        #expect(cluster.state.workerInfo(w1)?.availableResources["GPU"] == 1, "the victim's GPU is free again")
        #expect(cluster.state.workerInfo(w3)?.availableResources["GPU"] == 0)
    }
}
