import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// Tasks held on the scheduler (SchedulerState+Queueing): root tasks wait while workers are
// saturated and go out by priority; tasks wait for a worker when there is none.

@Suite struct SchedulerStateQueueingTests {
    @Test func rootTasksQueueWhileWorkersAreSaturated() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join(), w2 = cluster.join()
        cluster.submit(alice, (0..<100).map { task("root-\($0)") })
        #expect(cluster.state.count(of: .processing) == 4)
        #expect(cluster.state.count(of: .queued) == 96)
        cluster.runAll()
        #expect(cluster.peakProcessing[w1] == 2, "ceil(1 × 1.1) = 2 tasks per one-thread worker")
        #expect(cluster.peakProcessing[w2] == 2)
        for index in 0..<100 { #expect(cluster.outcome(alice, "root-\(index)") == .memory) }
        #expect(cluster.state.count(of: .queued) == 0)
    }

    @Test func queueingOffSendsEveryRootTaskAtOnce() {
        var configuration = SchedulerConfiguration()
        configuration.workerSaturation = .infinity
        var cluster = SimulatedCluster(configuration)
        cluster.join()
        cluster.submit(alice, (0..<20).map { task("root-\($0)") })
        #expect(cluster.state.count(of: .processing) == 20)
    }

    @Test func queuedTasksGoOutByPriority() {
        var cluster = SimulatedCluster()
        cluster.join()
        // Saturated at 2: the first two of the first submission start at once.
        cluster.submit(alice, (0..<4).map { task("first-\($0)") })
        cluster.submit(alice, (0..<3).map { task("second-\($0)") })
        cluster.submit(bob, (0..<2).map { task("urgent-\($0)", priority: 10) })
        cluster.submit(alice, [task("late-b", order: 2), task("late-a", order: 1)])
        cluster.runAll()
        #expect(cluster.computeLog.map(\.key) == [
            "first-0", "first-1",
            "urgent-0", "urgent-1",          // a higher user priority overtakes
            "first-2", "first-3",            // then first in, first out across submissions
            "second-0", "second-1", "second-2",
            "late-a", "late-b",              // and the client's graph order within one
        ])
    }

    @Test func dependentsOfFinishedTasksGoBeforeNewRootTasks() {
        var cluster = SimulatedCluster()
        cluster.join()
        var submissions: [WireTask] = []
        for index in 0..<4 {
            submissions.append(task("load-\(index)", order: index * 2))
            submissions.append(task("process-\(index)", ["load-\(index)"], order: index * 2 + 1))
        }
        cluster.submit(alice, submissions, wants: (0..<4).map { "process-\($0)" })
        #expect(cluster.computeLog.map(\.key) == ["load-0", "load-1"])
        // process-0 is placed at once (tasks with dependencies always are); the worker is then
        // saturated again, so no new root task goes out until process-0 is done.
        cluster.finish("load-0")
        #expect(cluster.computeLog.map(\.key) == ["load-0", "load-1", "process-0"])
        cluster.finish("process-0")
        #expect(cluster.computeLog.map(\.key).last == "load-2")
    }

    @Test func tasksWaitForAWorkerWhenThereIsNone() {
        var cluster = SimulatedCluster()
        cluster.submit(alice, (0..<10).map { task("root-\($0)") } + [task("child", ["root-0"])], wants: nil)
        #expect(cluster.state.count(of: .noWorker) == 10)
        cluster.join()
        #expect(cluster.state.count(of: .processing) == 2)
        #expect(cluster.state.count(of: .queued) == 8)
        cluster.runAll()
        #expect(cluster.outcome(alice, "child") == .memory)
    }
}

/// Tasks that wait on tasks they launched give their slot back (`taskSeceded`).
@Suite struct SchedulerStateSecedeTests {
    @Test func aSecededTaskFreesItsSlotForQueuedWork() {
        var cluster = SimulatedCluster()
        let worker = cluster.join()
        cluster.submit(alice, (0..<4).map { task("parent-\($0)") })
        #expect(cluster.state.count(of: .processing) == 2 && cluster.state.count(of: .queued) == 2, "saturated at 2")
        // Both running parents wait on children: without seceding nothing else could start.
        let started = computes(cluster.secede("parent-0")) + computes(cluster.secede("parent-1"))
        #expect(started.map(\.1.key) == ["parent-2", "parent-3"])
        #expect(cluster.state.count(of: .processing) == 4)
        cluster.submit(alice, [task("child")])
        #expect(cluster.worker(running: "child") == nil, "the two running tasks that did not secede fill the slots")
        // Seceding twice, or a stale run, changes nothing.
        #expect(computes(cluster.secede("parent-0")).isEmpty)
        #expect(computes(cluster.send(.taskSeceded(worker: worker, key: "parent-2", runID: -7))).isEmpty)
        cluster.runAll()
        for key in ["parent-0", "parent-1", "parent-2", "parent-3", "child"] { #expect(cluster.outcome(alice, Key(key)) == .memory) }
    }

    @Test func aSecededTaskIsNotStolen() {
        var configuration = SchedulerConfiguration()
        configuration.minimumStealDuration = 0
        var cluster = SimulatedCluster(configuration)
        let busy = cluster.join()
        cluster.submit(alice, (0..<2).map { task("waiting-\($0)") })
        cluster.secede("waiting-0")
        cluster.secede("waiting-1")
        _ = cluster.join()
        _ = cluster.send(.tick(now: 1))
        #expect(cluster.steals.isEmpty, "\(cluster.steals)")
        #expect(cluster.worker(running: "waiting-0") == busy && cluster.worker(running: "waiting-1") == busy)
    }
}

/// Tasks no worker can run err after `unrunnableTimeout` of tick time, saying what they ask for.
@Suite struct SchedulerStateUnrunnableTests {
    @Test func aTaskNoWorkerFitsErrsAfterTheTimeout() {
        var configuration = SchedulerConfiguration()
        configuration.unrunnableTimeout = 5
        var cluster = SimulatedCluster(configuration)
        cluster.join(resources: ["GPU": 1])
        cluster.submit(alice, [task("big", resources: ["GPU": 2]), task("small", resources: ["GPU": 1])])
        #expect(cluster.state.state(of: "big") == .noWorker && cluster.worker(running: "small") != nil)
        cluster.send(.tick(now: 100))
        cluster.send(.tick(now: 104))
        #expect(cluster.state.state(of: "big") == .noWorker, "not yet: 4 s of 5")
        // A worker joining sends it back to waiting; it finds no worker again and keeps its time.
        cluster.join(resources: ["GPU": 1])
        cluster.send(.tick(now: 105))
        guard case .erred(let failure) = cluster.outcome(alice, "big") else {
            Issue.record("expected big to err, got \(String(describing: cluster.outcome(alice, "big")))")
            return
        }
        #expect(failure.cause.contains("unrunnable-timeout") && failure.cause.contains("GPU=2.0"), "\(failure.cause)")
        cluster.finish("small")
        #expect(cluster.outcome(alice, "small") == .memory)
    }

    @Test func withoutATimeoutATaskWaitsForAWorkerThatFits() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("pinned", allowed: ["tcp://10.0.0.9:9000"])])
        cluster.send(.tick(now: 0))
        cluster.send(.tick(now: 1_000_000))
        #expect(cluster.state.state(of: "pinned") == .noWorker)
    }

    @Test func withNoWorkersAtAllTheFailureSaysSo() {
        var configuration = SchedulerConfiguration()
        configuration.unrunnableTimeout = 1
        var cluster = SimulatedCluster(configuration)
        cluster.submit(alice, [task("alone")])
        cluster.send(.tick(now: 0))
        cluster.send(.tick(now: 1))
        guard case .erred(let failure) = cluster.outcome(alice, "alone") else {
            Issue.record("expected alone to err")
            return
        }
        #expect(failure.cause.contains("there were no workers"), "\(failure.cause)")
    }
}
