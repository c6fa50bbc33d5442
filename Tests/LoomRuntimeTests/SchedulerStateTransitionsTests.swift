import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// How a task moves through its states: graphs run to the end, intermediates are freed as soon
// as no dependent needs them, errors reach every dependent, retries run a task again, and a large
// graph settles in time proportional to its size (SchedulerState+Transitions).

@Suite struct SchedulerStateTransitionsTests {
    @Test func chainRunsInOrderAndFreesIntermediates() throws {
        var cluster = SimulatedCluster()
        let w = cluster.join()
        var effects = cluster.submit(alice, [task("a"), task("b", ["a"]), task("c", ["b"])], wants: ["c"])
        #expect(computes(effects).map(\.1.key) == ["a"])
        #expect(cluster.state.state(of: "b") == .waiting)
        #expect(cluster.state.state(of: "c") == .waiting)

        effects = cluster.finish("a", nbytes: 100)
        let b = try #require(computes(effects).first)
        #expect(b.0 == w && b.1.key == "b")
        #expect(b.1.dependencies == [DependencyLocation(key: "a", nbytes: 100, holders: [w])])
        #expect(b.1.task.key == "b" && b.1.task.dependencies == ["a"], "the worker gets the task as the client sent it")
        #expect(freed(effects).isEmpty, "a is still needed by b")

        effects = cluster.finish("b")
        #expect(computes(effects).map(\.1.key) == ["c"])
        #expect(freed(effects).map(\.1) == [["a"]], "a is freed once its only dependent finished")
        #expect(cluster.state.state(of: "a") == .released)

        effects = cluster.finish("c")
        #expect(cluster.outcome(alice, "c") == .memory)
        #expect(effects.contains(.keyInMemory(client: alice, key: "c", holders: [w], nbytes: 8)))
        #expect(cluster.state.holders(of: "c") == [w])

        effects = cluster.send(.releaseKeys(client: alice, keys: ["c"]))
        #expect(freed(effects).flatMap(\.1) == ["c"])
        #expect(cluster.state.taskCount == 0)
        #expect(cluster.heldAnywhere == 0)
    }

    @Test func treeSumCompletesOnSeveralWorkers() {
        var cluster = SimulatedCluster()
        for _ in 0..<3 { cluster.join(nthreads: 2) }
        var submissions: [WireTask] = (0..<32).map { task("leaf-\($0)", function: "load") }
        var level: [Key] = (0..<32).map { "leaf-\($0)" }
        var depth = 0
        while level.count > 1 {
            depth += 1
            var next: [Key] = []
            for pair in stride(from: 0, to: level.count, by: 2) {
                let key: Key = "sum-\(depth)-\(pair / 2)"
                submissions.append(task(key, [level[pair], level[pair + 1]], function: "add"))
                next.append(key)
            }
            level = next
        }
        cluster.submit(alice, submissions, wants: level)
        cluster.runAll()
        #expect(cluster.outcome(alice, level[0]) == .memory)
        #expect(cluster.state.taskCount == submissions.count, "the finished graph is kept until released")
        #expect(cluster.heldAnywhere == 1, "only the wanted root is still held")
        cluster.send(.releaseKeys(client: alice, keys: level))
        #expect(cluster.state.taskCount == 0)
        #expect(cluster.heldAnywhere == 0)
    }

    @Test func wideFanOutAndFanInWork() {
        var cluster = SimulatedCluster()
        cluster.join(nthreads: 4)
        cluster.join(nthreads: 4)
        // One shared key with 100 dependents (a set inside), and one task reading 40 keys.
        var submissions = [task("shared")]
        submissions += (0..<100).map { task("use-\($0)", ["shared"]) }
        submissions.append(task("gather", (0..<40).map { "use-\($0)" } + ["use-0", "shared"]))
        cluster.submit(alice, submissions, wants: ["gather"] + (40..<100).map { "use-\($0)" })
        cluster.runAll()
        #expect(cluster.outcome(alice, "gather") == .memory)
        #expect(cluster.state.state(of: "use-0") == .released)
        #expect(cluster.state.state(of: "shared") == .released, "every dependent is done with it")
        cluster.send(.releaseKeys(client: alice, keys: (40..<100).map { "use-\($0)" }))
        #expect(cluster.state.taskCount == 42, "gather's recipe is kept while it is wanted")
        cluster.send(.releaseKeys(client: alice, keys: ["gather"]))
        #expect(cluster.state.taskCount == 0)
        #expect(cluster.heldAnywhere == 0)
    }

    @Test func retriesRunAFailingTaskAgain() throws {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("flaky", retries: 2), task("fragile", retries: 1)])
        cluster.fail("flaky")
        cluster.fail("flaky")
        #expect(cluster.state.state(of: "flaky") == .processing)
        cluster.finish("flaky")
        #expect(cluster.outcome(alice, "flaky") == .memory)

        cluster.fail("fragile", "first")
        cluster.fail("fragile", "second")
        #expect(cluster.outcome(alice, "fragile") == .erred(TaskFailure(key: "fragile", function: "f", failedKey: "fragile", cause: "second")))
    }

    @Test func errorsPropagateToDependentsNamingTheFailedKey() throws {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("ok"), task("bad", function: "parse"), task("mid", ["bad", "ok"], function: "join"),
                               task("top", ["mid"], function: "report")], wants: ["top"])
        cluster.finish("ok")
        cluster.fail("bad", "ValueError: not a number")
        #expect(cluster.state.state(of: "bad") == .erred)
        #expect(cluster.state.state(of: "mid") == .erred)
        #expect(cluster.state.state(of: "top") == .erred)
        #expect(cluster.state.state(of: "ok") == .released, "nothing needs ok any more")
        let failure = TaskFailure(key: "top", function: "report", failedKey: "bad", cause: "ValueError: not a number")
        #expect(cluster.outcome(alice, "top") == .erred(failure))
        #expect(failure.message == "dependency 'bad' failed: ValueError: not a number")
        #expect(cluster.state.failure(of: "mid")?.function == "join")

        // A new task on top of an erred one errs at once; so does wanting an erred key.
        let effects = cluster.submit(bob, [task("later", ["mid"])], wants: ["later", "bad"])
        #expect(effects.contains(.taskErred(client: bob, TaskFailure(key: "bad", function: "parse", failedKey: "bad", cause: "ValueError: not a number"))))
        #expect(cluster.outcome(bob, "later") == .erred(TaskFailure(key: "later", function: "f", failedKey: "bad", cause: "ValueError: not a number")))

        cluster.send(.clientLeft(bob))
        cluster.send(.releaseKeys(client: alice, keys: ["top"]))
        #expect(cluster.state.taskCount == 0)
    }

    @Test func aRetryComputesTheErredKeyAndTheErredTasksUnderItAgain() throws {
        var cluster = SimulatedCluster()
        cluster.join()
        cluster.submit(alice, [task("ok"), task("bad"), task("mid", ["bad", "ok"]), task("top", ["mid"])], wants: ["top", "ok"])
        cluster.finish("ok")
        cluster.fail("bad", "flaky service")
        #expect(cluster.state.state(of: "top") == .erred)
        cluster.send(.retry(client: bob, keys: ["top"]))
        #expect(cluster.state.state(of: "top") == .erred, "another client's retry does not touch alice's keys")
        cluster.send(.retry(client: alice, keys: ["top", "ok"]))
        #expect(cluster.state.state(of: "bad") == .processing && cluster.state.failure(of: "bad") == nil)
        #expect(cluster.state.state(of: "mid") == .waiting && cluster.state.state(of: "top") == .waiting)
        #expect(cluster.state.state(of: "ok") == .memory, "a key that did not err is left alone")
        cluster.finish("bad")
        cluster.finish("mid")
        cluster.finish("top")
        #expect(cluster.outcome(alice, "top") == .memory)
    }

    @Test func aLargeGraphSettlesWithoutScanning() {
        var cluster = SimulatedCluster()
        cluster.checkInvariants = false
        let w1 = cluster.join(nthreads: 4)
        var submissions: [WireTask] = []
        submissions.reserveCapacity(20_000)
        for index in 0..<10_000 { submissions.append(task("x\(index)")) }
        for index in 0..<10_000 { submissions.append(task("y\(index)", ["x\(index)"])) }
        cluster.submit(alice, submissions, wants: (0..<10_000).map { "y\($0)" })
        #expect(cluster.state.workerInfo(w1)?.processing == 5)
        cluster.runAll(limit: 1_000_000)
        #expect(cluster.state.count(of: .memory) == 10_000)
        #expect(cluster.state.invariantViolations().isEmpty)
        cluster.send(.clientLeft(alice))
        #expect(cluster.state.taskCount == 0)
    }
}
