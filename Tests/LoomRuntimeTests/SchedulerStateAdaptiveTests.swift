import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// What adaptive scaling asks of the scheduler (SchedulerState+Adaptive): how many workers the
// work calls for, and which workers could close.

@Suite struct SchedulerStateAdaptiveTests {
    @Test func theAdaptiveTargetFollowsQueuedWorkAndMemory() {
        var cluster = SimulatedCluster()
        #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 0)
        // Queued work and no worker: at least one.
        cluster.submit(alice, [task("x")])
        #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 1)
        let w1 = cluster.join()
        // 100 tasks of an unknown function count 0.5 s each: 50 s of work over 5 s is 10 workers.
        cluster.submit(alice, (0..<100).map { task("t\($0)") })
        #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 11)
        // ...but never more workers than tasks.
        #expect(cluster.state.adaptiveTarget(targetDuration: 0.001) == 101)
        cluster.runAll()
        // Idle, but the last home of the results the client holds: it stays.
        #expect(cluster.state.workersToClose().isEmpty)
        #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 1)
        cluster.send(.releaseKeys(client: alice, keys: ["x"] + (0..<100).map { "t\($0)" }))
        #expect(cluster.state.workersToClose() == [w1])
        #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 0)
        // Held data above 60 % of the memory limits asks for twice the workers.
        cluster.submit(alice, [task("big")])
        cluster.finish("big", nbytes: 700 << 20)
        #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 2)
    }

    @Test func idleWorkersHoldingLeastCloseFirst() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        let w2 = cluster.join()
        let w3 = cluster.join()
        cluster.submit(alice, [task("a", allowed: ["w1"]), task("b", allowed: ["w2"]), task("c", allowed: ["w3"])])
        cluster.finish("a", nbytes: 300)
        cluster.finish("b", nbytes: 100)
        #expect(cluster.state.workersToClose(target: 1) == [w2, w1], "idle first, fewest bytes first")
        #expect(cluster.state.workersToClose(target: 0) == [w2, w1, w3])
        #expect(cluster.state.workersToClose() == [w2, w1], "never a busy worker without a target")
    }

    @Test func theWorkersOfOneJobCloseTogetherOrNotAtAll() {
        var cluster = SimulatedCluster()
        let a0 = cluster.join("a-0"), a1 = cluster.join("a-1"), b0 = cluster.join("b-0"), b1 = cluster.join("b-1")
        let jobs = [a0: "a", a1: "a", b0: "b", b1: "b"]
        let group: (WorkerID) -> String? = { jobs[$0] }
        cluster.submit(alice, [task("x", allowed: ["b-1"])])
        #expect(cluster.state.workersToClose(target: 2, group: group) == [a0, a1])
        #expect(cluster.state.workersToClose(target: 3, group: group).isEmpty, "never half a job")
        #expect(cluster.state.workersToClose(group: group) == [a0, a1], "a job with a busy worker stays")
        #expect(cluster.state.workersToClose(target: 0, group: group) == [a0, a1, b0, b1])
        #expect(cluster.state.workersToClose(target: 3) == [a0], "ungrouped, workers go one by one")
        // With a busy worker in each job, no job is idle: the target does not fall below all four.
        cluster.submit(alice, [task("y", allowed: ["a-0"])])
        #expect(cluster.state.adaptiveTarget(targetDuration: 5, group: group) == 4)
        #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 2, "ungrouped, the two idle workers could go")
    }
}
