import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// Graph updates and scattered data (SchedulerState+Graph): unneeded tasks are culled, unknown
// dependencies and cycles are refused without sinking the rest of the update, any submission
// order works, and scattered keys feed tasks like computed ones.

@Suite struct SchedulerStateGraphTests {
    @Test func theTasksLeftUnderAKeyCountDownAsTheyFinish() {
        var cluster = SimulatedCluster()
        cluster.join()
        // a and b feed c; only c is wanted.
        cluster.submit(alice, [task("a"), task("b"), task("c", ["a", "b"])], wants: ["c"])
        #expect(cluster.state.remainingTasks(under: ["c"]) == 3)
        cluster.finish("a")
        #expect(cluster.state.remainingTasks(under: ["c"]) == 2)
        cluster.finish("b")
        cluster.finish("c")
        #expect(cluster.state.remainingTasks(under: ["c"]) == 0, "a and b were released once c had them")
        #expect(cluster.state.remainingTasks(under: ["unknown"]) == 0)
    }

    @Test func newTasksNobodyNeedsAreCulled() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("a"), task("b", ["a"]), task("unused"), task("unused-child", ["unused"])], wants: ["b"])
        #expect(cluster.state.state(of: "unused") == .forgotten)
        #expect(cluster.state.state(of: "unused-child") == .forgotten)
        #expect(cluster.state.taskCount == 2)
    }

    @Test func unknownDependenciesAreReportedNotFatal() throws {
        var cluster = SimulatedCluster()
        cluster.join()
        let effects = cluster.submit(alice, [task("b", ["nope"]), task("c", ["b"]), task("d")], wants: ["c", "d", "ghost"])
        let rejection = try #require(cluster.rejections.first)
        #expect(rejection.missingKeys == ["nope", "ghost"])
        #expect(rejection.rejectedKeys == ["b", "c"])
        #expect(rejection.description.contains("'nope'"))
        #expect(effects.contains { $0.client == alice })
        #expect(cluster.state.state(of: "b") == .forgotten)
        cluster.runAll()
        #expect(cluster.outcome(alice, "d") == .memory)
    }

    @Test func dependencyCyclesAreRejected() throws {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("x", ["y"]), task("y", ["x"]), task("after", ["x"]), task("fine"), task("self", ["self"])])
        let rejection = try #require(cluster.rejections.first)
        #expect(rejection.cycleKeys == ["after", "self", "x", "y"])
        #expect(rejection.missingKeys.isEmpty)
        #expect(cluster.state.taskCount == 1)
        cluster.runAll()
        #expect(cluster.outcome(alice, "fine") == .memory)
    }

    @Test func graphsOutOfTopologicalOrderAreFine() {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("c", ["b"]), task("b", ["a"]), task("a")], wants: ["c"])
        #expect(cluster.rejections.isEmpty)
        cluster.runAll()
        #expect(cluster.outcome(alice, "c") == .memory)
    }

    @Test func scatteredDataFeedsTasksAndErrsWhenLost() throws {
        var cluster = SimulatedCluster()
        let w1 = cluster.join(), w2 = cluster.join()
        cluster.workers[w2]?.held["data"] = 1_000_000
        cluster.send(.scatter(client: alice, values: [ScatteredValue(key: "data", nbytes: 1_000_000, holders: [SimulatedCluster.address(of: w2)])]))
        #expect(cluster.state.state(of: "data") == .memory)
        cluster.submit(alice, [task("use", ["data"]), task("other")])
        #expect(cluster.worker(running: "use") == w2)
        #expect(cluster.worker(running: "other") == w1)
        cluster.leave(w2)
        guard case .erred(let failure) = cluster.outcome(alice, "data") else {
            Issue.record("scattered data lost without a word")
            return
        }
        #expect(failure.message.contains("no recipe"))
        guard case .erred(let use) = cluster.outcome(alice, "use") else {
            Issue.record("its dependent did not err")
            return
        }
        #expect(use.failedKey == "data")
    }

    @Test func scatteringAKeyThatIsComputingReplacesTheComputation() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join(), w2 = cluster.join()
        cluster.submit(alice, [task("x"), task("y", ["x"])], wants: ["y"])
        #expect(cluster.worker(running: "x") == w1)
        cluster.workers[w2]?.held["x"] = 64
        let effects = cluster.send(.scatter(client: bob, values: [ScatteredValue(key: "x", nbytes: 64, holders: [SimulatedCluster.address(of: w2)])]))
        #expect(freed(effects).flatMap(\.1) == ["x"], "the computation of x is cancelled")
        #expect(cluster.worker(running: "y") == w2, "y runs where the scattered x is")
        // Scattering it again onto w1 adds a copy.
        cluster.workers[w1]?.held["x"] = 64
        cluster.send(.scatter(client: bob, values: [ScatteredValue(key: "x", nbytes: 64, holders: [SimulatedCluster.address(of: w1)])]))
        #expect(Set(cluster.state.holders(of: "x")) == [w1, w2])
        #expect(cluster.state.wantCount(of: "x", by: bob) == 2)
        // A copy lost from the second holder leaves the first.
        cluster.workers[w1]?.held["x"] = nil
        cluster.send(.keysLost(worker: w1, keys: ["x"]))
        #expect(cluster.state.holders(of: "x") == [w2])
    }

    @Test func scatteredDataWhoseHoldersLeftFirstErrsAtOnce() {
        var cluster = SimulatedCluster()
        let w1 = cluster.join()
        cluster.join()
        cluster.leave(w1)
        // The client's `scattered` arrives after the only holder's departure.
        cluster.send(.scatter(client: alice, values: [ScatteredValue(key: "x", nbytes: 8, holders: [SimulatedCluster.address(of: w1)])]))
        guard case .erred(let failure) = cluster.outcome(alice, "x") else {
            Issue.record("the client heard nothing about x: \(String(describing: cluster.outcome(alice, "x")))")
            return
        }
        #expect(failure.message.contains("scattered"))
    }
}
