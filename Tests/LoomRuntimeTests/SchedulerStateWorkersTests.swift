import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// What workers tell the scheduler (SchedulerState+Workers): pausing, leaving or dying (their
// tasks rescheduled, their only copies recomputed, a task that kills three of them erred),
// failed fetches, and reports of runs that are no longer current.

@Suite struct SchedulerStateWorkersTests {
    @Test func pausedWorkersGetNoNewTasks() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        cluster.send(.workerPaused(w1, paused: true))
        cluster.submit(alice, [task("root"), task("child", ["root"])])
        #expect(cluster.state.state(of: "root") == .queued)
        cluster.send(.workerPaused(w1, paused: false))
        #expect(cluster.worker(running: "root") == w1)
        cluster.send(.workerPaused(w1, paused: true))
        cluster.finish("root")
        #expect(cluster.state.state(of: "child") == .noWorker)
        cluster.send(.workerPaused(w1, paused: false))
        #expect(cluster.worker(running: "child") == w1)
    }

    @Test func processingTasksOfALostWorkerAreRescheduled() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        cluster.submit(alice, [task("a")])
        #expect(cluster.worker(running: "a") == w1)
        cluster.leave(w1)
        #expect(cluster.state.state(of: "a") == .noWorker)
        let w2 = cluster.join()
        #expect(cluster.worker(running: "a") == w2)
        cluster.finish("a")
        #expect(cluster.outcome(alice, "a") == .memory)
    }

    @Test func lostValuesAreRecomputedTransitively() throws {
        var cluster = SimulatedCluster()
        let w1 = cluster.join("one"), w2 = cluster.join("two")
        cluster.submit(alice, [
            task("a", allowed: ["one"]), task("b", ["a"], allowed: ["one"]), task("c", ["b"], allowed: ["two"]),
        ], wants: ["b", "c"])
        cluster.finish("a")
        cluster.finish("b")
        #expect(cluster.state.state(of: "a") == .released, "a was freed once b had it")
        #expect(cluster.worker(running: "c") == w2)

        // w1 dies holding the only copy of b: c cannot fetch it, so it is cancelled; b is computed
        // again, which needs a again.
        cluster.workers[w1] = nil
        let effects = cluster.send(.workerLeft(w1, .lost))
        #expect(freed(effects).map(\.0) == [w2])
        #expect(freed(effects).flatMap(\.1) == ["c"])
        #expect(cluster.outcome(alice, "b") == .lost)
        #expect(cluster.state.state(of: "c") == .waiting)
        #expect(cluster.state.state(of: "b") == .waiting)
        #expect(cluster.state.state(of: "a") == .noWorker, "a may only run on 'one'")

        let w3 = cluster.join("one")
        #expect(cluster.worker(running: "a") == w3)
        cluster.finish("a")
        cluster.finish("b")
        #expect(cluster.worker(running: "c") == w2)
        cluster.finish("c")
        #expect(cluster.outcome(alice, "b") == .memory)
        #expect(cluster.outcome(alice, "c") == .memory)
        #expect(cluster.state.holders(of: "b") == [w3])
    }

    @Test func aReplicaSurvivesItsFirstHolder() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join(), w2 = cluster.join()
        cluster.submit(alice, [task("a")])
        cluster.finish("a")
        cluster.workers[w2]?.held["a"] = 8
        cluster.send(.keysAdded(worker: w2, keys: ["a": 8]))
        #expect(Set(cluster.state.holders(of: "a")) == [w1, w2])
        cluster.leave(w1)
        #expect(cluster.state.state(of: "a") == .memory)
        #expect(cluster.state.holders(of: "a") == [w2])
        #expect(cluster.outcome(alice, "a") == .memory)
    }

    @Test func aTaskThatKillsThreeWorkersErrs() throws {
        var cluster = SimulatedCluster()
        cluster.submit(alice, [task("crasher", function: "segfault"), task("after", ["crasher"])], wants: ["crasher", "after"])
        for death in 1...3 {
            let worker = cluster.join()
            #expect(cluster.worker(running: "crasher") == worker)
            cluster.leave(worker)
            #expect(cluster.state.state(of: "crasher") == (death < 3 ? .noWorker : .erred))
        }
        guard case .erred(let failure) = cluster.outcome(alice, "crasher") else {
            Issue.record("the client was not told")
            return
        }
        #expect(failure.killedWorker)
        #expect(failure.failedKey == "crasher")
        #expect(failure.message.contains("KilledWorker"))
        #expect(failure.message.contains("'crasher'"))
        #expect(failure.message.contains("3 workers"))
        guard case .erred(let after) = cluster.outcome(alice, "after") else {
            Issue.record("the dependent did not err")
            return
        }
        #expect(after.failedKey == "crasher")
        #expect(after.message.hasPrefix("dependency 'crasher' failed: KilledWorker"))
    }

    @Test func suspiciousTasksRunAloneSoBystandersAreNotBlamed() throws {
        var cluster = SimulatedCluster()
        cluster.submit(alice, [task("crasher", function: "segfault"), task("bystander")], wants: ["crasher", "bystander"])
        let first = cluster.join(nthreads: 2)
        #expect(cluster.worker(running: "crasher") == first && cluster.worker(running: "bystander") == first)
        cluster.leave(first)  // both were there; either may have done it
        // From now on each runs alone: two workers, one task each, nothing else sent to them.
        let one = cluster.join(nthreads: 2), two = cluster.join(nthreads: 2)
        let crasherHome = try #require(cluster.worker(running: "crasher"))
        let bystanderHome = try #require(cluster.worker(running: "bystander"))
        #expect(crasherHome != bystanderHome && Set([crasherHome, bystanderHome]) == [one, two])
        cluster.submit(alice, [task("newcomer")], wants: ["newcomer"])
        #expect(cluster.worker(running: "newcomer") == nil, "nothing joins a worker running a suspicious task")
        cluster.finish("bystander")
        #expect(cluster.worker(running: "newcomer") == bystanderHome)
        cluster.leave(crasherHome)
        #expect(cluster.worker(running: "crasher") == nil, "the only worker left is busy with the newcomer")
        let third = cluster.join(nthreads: 2)
        #expect(cluster.worker(running: "crasher") == third)
        cluster.leave(third)
        guard case .erred(let failure) = cluster.outcome(alice, "crasher") else {
            Issue.record("the crasher was not blamed after three deaths"); return
        }
        #expect(failure.killedWorker)
        #expect(cluster.outcome(alice, "bystander") == .memory)
    }

    @Test func retiredWorkersDoNotCountTowardsKilledWorker() {
        var cluster = SimulatedCluster()
        cluster.submit(alice, [task("a")])
        for _ in 1...5 {
            let worker = cluster.join()
            cluster.leave(worker, .retired)
        }
        #expect(cluster.state.state(of: "a") == .noWorker)
    }

    @Test func fetchFailuresTellTheWorkerWhoElseHasTheData() throws {
        var cluster = SimulatedCluster()
        let w1 = cluster.join(), w2 = cluster.join(), w3 = cluster.join()
        cluster.submit(alice, [task("a")])
        cluster.finish("a")
        cluster.workers[w2]?.held["a"] = 8
        cluster.send(.keysAdded(worker: w2, keys: ["a": 8]))
        // w3 could not get a from w1: the scheduler points it to w2.
        cluster.workers[w1]?.held["a"] = nil
        var effects = cluster.send(.fetchFailed(worker: w3, key: "a", holder: w1))
        #expect(effects == [.whoHas(worker: w3, key: "a", holders: [w2])])
        // And when w2 lost it too, a is computed again.
        cluster.workers[w2]?.held["a"] = nil
        effects = cluster.send(.keysLost(worker: w2, keys: ["a"]))
        #expect(cluster.outcome(alice, "a") == .lost)
        #expect(computes(effects).map(\.1.key) == ["a"])
    }

    @Test func staleReportsAreIgnored() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        cluster.submit(alice, [task("a", retries: 1)])
        let first = cluster.workers[w1]?.assigned["a"]?.runID ?? 0
        cluster.fail("a")
        let second = cluster.workers[w1]?.assigned["a"]?.runID ?? 0
        #expect(second != first)
        let stale = cluster.state.handle(.taskFinished(worker: w1, key: "a", runID: first, nbytes: 8, duration: 1, function: nil))
        #expect(stale.isEmpty)
        #expect(cluster.state.state(of: "a") == .processing)
        #expect(cluster.state.handle(.taskFinished(worker: WorkerID(99), key: "a", runID: second, nbytes: 8, duration: 1, function: nil)).isEmpty)
    }
}
