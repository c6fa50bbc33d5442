import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// Where a ready task runs (SchedulerState+Placement): near its data, on the least occupied
// worker by measured durations, only on workers its restrictions allow and whose resources fit.

@Suite struct SchedulerStatePlacementTests {
    @Test func placementPrefersTheWorkerHoldingTheData() throws {
        var cluster = SimulatedCluster()
        let w1 = cluster.join(), w2 = cluster.join()
        cluster.submit(alice, [task("big"), task("small")])
        #expect(cluster.worker(running: "big") == w1)
        #expect(cluster.worker(running: "small") == w2)
        cluster.finish("big", nbytes: 500_000_000)
        cluster.finish("small", nbytes: 10)

        var effects = cluster.submit(alice, [task("uses-big", ["big"])])
        #expect(computes(effects).first?.0 == w1)
        effects = cluster.submit(alice, [task("uses-small", ["small"])])
        #expect(computes(effects).first?.0 == w2)
        effects = cluster.submit(alice, [task("uses-both", ["big", "small"])])
        let both = try #require(computes(effects).first)
        #expect(both.0 == w1, "moving 10 bytes beats moving 500 MB")
        #expect(Set(both.1.dependencies.map(\.key)) == ["big", "small"])
    }

    @Test func occupancySpreadsIndependentTasks() {
        var configuration = SchedulerConfiguration()
        configuration.workerSaturation = .infinity
        var cluster = SimulatedCluster(configuration)
        let w1 = cluster.join(), w2 = cluster.join()
        cluster.submit(alice, (0..<10).map { task("t\($0)") })
        #expect(cluster.state.workerInfo(w1)?.processing == 5)
        #expect(cluster.state.workerInfo(w2)?.processing == 5)
        #expect(cluster.state.workerInfo(w1)?.occupancy == 2.5, "unknown functions count 0.5 s each")
    }

    @Test func measuredDurationsDriveOccupancy() {
        var configuration = SchedulerConfiguration()
        configuration.workerSaturation = .infinity
        var cluster = SimulatedCluster(configuration)
        let w1 = cluster.join(), w2 = cluster.join()
        cluster.submit(alice, [task("slow-0", function: "slow"), task("fast-0", function: "fast")])
        cluster.finish("slow-0", duration: 4)
        cluster.finish("fast-0", duration: 0.5)
        #expect(cluster.state.expectedDuration(of: "slow") == 4)
        #expect(cluster.state.expectedDuration(of: "fast") == 0.5)
        #expect(cluster.state.expectedDuration(of: "never-ran") == 0.5)

        // One slow task on w1 (4 s) balances eight fast ones (0.5 s each) on w2.
        cluster.submit(alice, [task("slow-1", function: "slow")])
        #expect(cluster.worker(running: "slow-1") == w1)
        cluster.submit(alice, (1...8).map { task("fast-\($0)", function: "fast") })
        #expect(cluster.state.workerInfo(w2)?.processing == 8)
        #expect(cluster.state.workerInfo(w1)?.processing == 1)
        #expect(cluster.state.workerInfo(w2)?.occupancy == 4)
    }

    @Test func restrictionsPinTasksToNamedWorkers() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join("alpha"), w2 = cluster.join("beta")
        cluster.submit(alice, [task("on-beta", allowed: ["beta"])])
        #expect(cluster.worker(running: "on-beta") == w2)
        cluster.submit(alice, [task("by-address", allowed: ["tcp://10.0.0.1:9000"])])
        #expect(cluster.worker(running: "by-address") == w1)
        cluster.submit(alice, [task("on-gamma", allowed: ["gamma"])])
        #expect(cluster.state.state(of: "on-gamma") == .noWorker)
        let w3 = cluster.join("gamma")
        #expect(cluster.worker(running: "on-gamma") == w3)
        cluster.leave(w3)
        #expect(cluster.state.state(of: "on-gamma") == .noWorker, "its only allowed worker died")
    }

    @Test func preferredWorkersAreWaitedForWhileRunningAndLeftWhenGone() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join("alpha"), w2 = cluster.join("beta")
        cluster.submit(alice, (0..<3).map { task("near-\($0)", allowed: ["beta"], loose: true) })
        for index in 0..<3 { #expect(cluster.worker(running: "near-\(index)") == w2, "alpha is idle, but beta is preferred") }
        cluster.submit(alice, [task("gone", allowed: ["gamma"], loose: true)])
        #expect(cluster.worker(running: "gone") != nil, "no gamma: any worker will do")
        let w3 = cluster.join("gamma")
        cluster.submit(alice, [task("back", allowed: ["gamma"], loose: true)])
        #expect(cluster.worker(running: "back") == w3)
        cluster.submit(alice, [task("later", ["back"], allowed: ["gamma"], loose: true)])
        cluster.leave(w3, .retired)
        #expect([w1, w2].contains(cluster.worker(running: "back")), "run elsewhere once its worker left")
        cluster.submit(alice, [task("strict", allowed: ["gamma"])])
        #expect(cluster.state.state(of: "strict") == .noWorker, "a strict restriction still waits")
    }

    @Test func resourcesAreReservedWhileTasksRun() {
        var cluster = SimulatedCluster()
        let plain = cluster.join("plain", nthreads: 4)
        let gpu = cluster.join("gpu", nthreads: 4, resources: ["GPU": 2])
        cluster.submit(alice, (0..<5).map { task("train-\($0)", resources: ["GPU": 1]) })
        #expect(cluster.state.workerInfo(gpu)?.processing == 2)
        #expect(cluster.state.workerInfo(gpu)?.availableResources["GPU"] == 0)
        #expect(cluster.state.workerInfo(plain)?.processing == 0)
        #expect(cluster.state.count(of: .queued) == 3, "they wait for a GPU to free up")

        cluster.finish("train-0")
        #expect(cluster.state.workerInfo(gpu)?.processing == 2)
        cluster.fail("train-1")
        #expect(cluster.state.workerInfo(gpu)?.processing == 2, "an error frees the resource too")
        cluster.runAll()
        #expect(cluster.state.workerInfo(gpu)?.availableResources["GPU"] == 2)
        #expect(cluster.state.count(of: .queued) == 0)

        cluster.submit(alice, [task("needs-3", resources: ["GPU": 3])])
        #expect(cluster.state.state(of: "needs-3") == .noWorker, "no worker has three GPUs")
        let big = cluster.join("big", resources: ["GPU": 8])
        #expect(cluster.worker(running: "needs-3") == big)
    }
}
