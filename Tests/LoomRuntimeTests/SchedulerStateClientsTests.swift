import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// Clients' interest in keys (SchedulerState+Clients): releasing, sharing, cancelling, leaving,
// and a client that comes back hearing what it missed.

@Suite struct SchedulerStateClientsTests {
    @Test func releasingWhileProcessingCancelsOnTheWorker() {
        var cluster = SimulatedCluster()
        let w = cluster.join()
        cluster.submit(alice, [task("a"), task("b", ["a"])], wants: ["b"])
        let effects = cluster.send(.releaseKeys(client: alice, keys: ["b"]))
        #expect(freed(effects).map(\.0) == [w])
        #expect(freed(effects).flatMap(\.1) == ["a"])
        #expect(cluster.state.taskCount == 0)
        #expect(cluster.assignedKeys.isEmpty)
        // A late report of the cancelled run is refused: the worker is told to drop the value.
        let late = cluster.state.handle(.taskFinished(worker: w, key: "a", runID: 1, nbytes: 8, duration: 1, function: nil))
        #expect(late == [.freeKeys(worker: w, keys: ["a"])])
    }

    @Test func twoClientsShareAKey() {
        var cluster = SimulatedCluster()
        let w = cluster.join()
        cluster.submit(alice, [task("shared")])
        cluster.submit(bob, [task("shared", function: "other")])
        #expect(cluster.computeLog.count == 1, "the known key is reused, not recomputed")
        cluster.finish("shared")
        #expect(cluster.outcome(alice, "shared") == .memory)
        #expect(cluster.outcome(bob, "shared") == .memory)

        var effects = cluster.send(.releaseKeys(client: alice, keys: ["shared"]))
        #expect(freed(effects).isEmpty, "bob still wants it")
        effects = cluster.submit(alice, [task("shared")])
        #expect(effects == [.keyInMemory(client: alice, key: "shared", holders: [w], nbytes: 8)])
        // Wants count: alice wants it once more, bob once.
        cluster.send(.releaseKeys(client: bob, keys: ["shared"]))
        #expect(cluster.state.state(of: "shared") == .memory)
        effects = cluster.send(.releaseKeys(client: alice, keys: ["shared"]))
        #expect(freed(effects).flatMap(\.1) == ["shared"])
        #expect(cluster.state.taskCount == 0)
    }

    @Test func aClientWantingAKeyTwiceReleasesItTwice() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("x")], wants: ["x", "x"])
        #expect(cluster.state.wantCount(of: "x", by: alice) == 2)
        cluster.send(.releaseKeys(client: alice, keys: ["x"]))
        #expect(cluster.state.state(of: "x") == .processing)
        cluster.send(.releaseKeys(client: alice, keys: ["x"]))
        #expect(cluster.state.state(of: "x") == .forgotten)
    }

    @Test func leavingClientsReleaseTheirKeys() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.send(.clientJoined(alice))
        cluster.submit(alice, [task("a"), task("b", ["a"])])
        cluster.runAll()
        cluster.send(.clientLeft(alice))
        #expect(cluster.state.taskCount == 0)
        #expect(cluster.heldAnywhere == 0)
        #expect(cluster.state.clientIDs.isEmpty)
    }

    @Test func cancellingTellsTheClientAndStopsTheWork() {
        var cluster = SimulatedCluster()
        let w = cluster.join()
        cluster.submit(alice, [task("a"), task("b", ["a"]), task("c", ["b"])], wants: ["a", "c"])
        cluster.submit(bob, [], wants: ["a"])
        let effects = cluster.send(.cancelKeys(client: alice, keys: ["a"]))
        #expect(effects.contains(.cancelled(client: alice, keys: ["a", "c"])))
        #expect(cluster.outcome(alice, "c") == .cancelled)
        #expect(cluster.state.state(of: "a") == .processing, "bob still wants a")
        #expect(cluster.state.state(of: "c") == .forgotten)
        let bobs = cluster.send(.cancelKeys(client: bob, keys: ["a"]))
        #expect(bobs.contains(.cancelled(client: bob, keys: ["a"])))
        #expect(bobs.contains(.freeKeys(worker: w, keys: ["a"])))
        #expect(cluster.state.taskCount == 0)
    }

    @Test func aResumedClientHearsAgainAboutSettledKeys() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("a"), task("bad"), task("slow")])
        cluster.finish("a")
        cluster.fail("bad")
        let effects = cluster.send(.clientResumed(alice))
        let heard = effects.compactMap { effect -> String? in
            switch effect {
            case .keyInMemory(alice, let key, _, _): "memory \(key)"
            case .taskErred(alice, let failure): "erred \(failure.key)"
            default: nil
            }
        }
        #expect(heard == ["memory a", "erred bad"], "and nothing about the task still running")
    }

    @Test func aReturningClientHearsWhichOfItsKeysWereCancelledMeanwhile() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("slow")])
        cluster.submit(bob, [task("other")])
        // Bob restarts the cluster while Alice is away: she cannot hear it then.
        cluster.send(.cancelAllWork)
        cluster.submit(bob, [task("again")])
        let effects = cluster.send(.clientStillWaiting(client: alice, keys: ["slow", "never-heard-of"]))
        #expect(effects.contains { if case .cancelled(alice, ["slow", "never-heard-of"]) = $0 { true } else { false } })
        // A key the client still has here is not reported.
        let nothing = cluster.send(.clientStillWaiting(client: bob, keys: ["again"]))
        #expect(!nothing.contains { if case .cancelled = $0 { true } else { false } })
    }
}

/// Keys a client fired and forgot (`fireAndForget`): the scheduler wants each until it is done.
@Suite struct SchedulerStateFireAndForgetTests {
    @Test func aFiredKeyRunsWithoutItsClientThenGoes() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("load"), task("store", ["load"]), task("other", ["load"])], wants: ["store", "other"])
        cluster.send(.fireAndForget(keys: ["store"]))
        cluster.send(.clientLeft(alice))
        #expect(cluster.state.state(of: "other") == .forgotten, "what nobody wants any more is forgotten")
        #expect(cluster.state.state(of: "store") == .waiting && cluster.state.state(of: "load") == .processing)
        let effects = cluster.finish("load") + cluster.finish("store")
        #expect(!effects.contains { if case .keyInMemory = $0 { true } else { false } }, "nobody is told")
        #expect(cluster.state.taskCount == 0, "done, the scheduler lets it go: nothing is held")
        #expect(cluster.heldAnywhere == 0)
    }

    @Test func aFiredKeyThatFailsOrIsDoneAlreadyIsLetGo() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("done"), task("failing")])
        cluster.finish("done")
        cluster.send(.fireAndForget(keys: ["done", "failing", "unknown"]))
        cluster.send(.clientLeft(alice))
        #expect(cluster.state.state(of: "done") == .forgotten, "in memory already: no want is added")
        cluster.fail("failing")
        #expect(cluster.state.taskCount == 0)
    }
}
