import LoomCore
import Testing
@testable import LoomRuntime

/// The worker's pure state machine: what it runs, fetches, reports and forgets.
@Suite struct WorkerStateTests {
    typealias Effect = WorkerState.Effect

    func request(_ key: Key, _ arguments: [WireArgument] = [.value([1])], holders: [Key: [String]] = [:],
                 run: Int64 = 1, priority: Int64 = 0) -> ComputeRequest {
        ComputeRequest(task: WireTask(key: key, function: "f", arguments: arguments, priority: priority), holders: holders, run: run)
    }

    func executed(_ effects: [Effect]) -> [Key] {
        effects.compactMap { if case .execute(let task, _) = $0 { task.key } else { nil } }
    }

    func told(_ effects: [Effect]) -> [Message] {
        effects.compactMap { if case .tellScheduler(let message) = $0 { message } else { nil } }
    }

    @Test func runsReadyTasksAndReportsResults() {
        var state = WorkerState(threads: 1, runAhead: 0)
        #expect(executed(state.compute(request("a"))) == ["a"])
        let effects = state.finished("a", result: [9, 9], seconds: 0.5)
        #expect(told(effects) == [.taskFinished(key: "a", run: 1, nbytes: 2, seconds: 0.5)])
        #expect(state.values(for: ["a", "b"]).values == ["a": [9, 9]] && state.values(for: ["b"]).missing == ["b"])
        #expect(told(state.compute(request("a", run: 2))) == [.taskFinished(key: "a", run: 2, nbytes: 2, seconds: 0)], "already held")
    }

    @Test func handsOutThreadsPlusRunAheadInPriorityOrder() {
        var state = WorkerState(threads: 1, runAhead: 2)
        var started: [Key] = []
        for (key, priority) in [("low", 0), ("high", 5), ("mid", 2), ("lowest", -1)] as [(Key, Int64)] {
            started += executed(state.compute(request(key, priority: priority)))
        }
        // "low" arrived first and went out at once; then the threads were full but for run-ahead.
        #expect(started == ["low", "high", "mid"])
        #expect(executed(state.finished("low", result: [], seconds: 0)) == ["lowest"])
    }

    @Test func aSecededTaskGivesItsThreadBackOnce() {
        var state = WorkerState(threads: 1, runAhead: 0)
        #expect(executed(state.compute(request("parent"))) == ["parent"])
        #expect(executed(state.compute(request("child"))).isEmpty, "the one thread is taken")
        let effects = state.seceded("parent")
        #expect(told(effects) == [.taskSeceded(key: "parent", run: 1)])
        #expect(executed(effects) == ["child"])
        #expect(state.seceded("parent").isEmpty, "once")
        #expect(executed(state.compute(request("other"))).isEmpty, "the child holds the thread now")
        // The parent ending gives nothing back again: the thread is still the child's.
        #expect(told(state.finished("parent", result: [1], seconds: 1)) == [.taskFinished(key: "parent", run: 1, nbytes: 1, seconds: 1)])
        #expect(executed(state.compute(request("another"))).isEmpty)
        #expect(executed(state.finished("child", result: [2], seconds: 0)) == ["other"])
    }

    @Test func fetchesDependenciesPerPeerAndDropsBorrowedValues() {
        var state = WorkerState(threads: 1)
        let effects = state.compute(request("sum", [.key("x"), .key("y"), .key("z")], holders: ["x": ["tcp://p:1"], "y": ["tcp://p:1"], "z": ["tcp://q:2"]]))
        #expect(executed(effects).isEmpty)
        let fetches = effects.compactMap { if case .fetch(let id, let peer, let keys) = $0 { (id, peer, keys) } else { nil } }
        #expect(fetches.map(\.1) == ["tcp://p:1", "tcp://q:2"] && fetches[0].2 == ["x", "y"] && fetches[1].2 == ["z"])
        #expect(executed(state.received(request: fetches[0].0, values: ["x": [1], "y": [2]])).isEmpty)
        let run = state.received(request: fetches[1].0, values: ["z": [3]])
        guard case .execute(_, let arguments) = run.first else { Issue.record("expected the task to run"); return }
        #expect(arguments == [.bytes([1]), .bytes([2]), .bytes([3])])
        _ = state.finished("sum", result: [6], seconds: 0)
        #expect(state.values(for: ["x", "y", "z"]).missing == ["x", "y", "z"], "borrowed copies go once no task reads them")
        #expect(state.values(for: ["sum"]).values == ["sum": [6]])
    }

    @Test func aFailedFetchTriesTheNextHolderThenAsksTheScheduler() {
        var state = WorkerState(threads: 1)
        let first = state.compute(request("t", [.key("d")], holders: ["d": ["tcp://a:1", "tcp://b:2"]]))
        guard case .fetch(let id, "tcp://a:1", _) = first.first else { Issue.record("expected a fetch from a"); return }
        let retry = state.fetchFailed(request: id, reason: "refused")
        guard case .fetch(let second, "tcp://b:2", _) = retry.first else { Issue.record("expected a fetch from b"); return }
        // A dead peer is not the task's fault: the scheduler hears which holders failed.
        #expect(told(state.received(request: second, values: [:])) == [.fetchFailed(key: "d", holders: ["tcp://a:1", "tcp://b:2"])])
        #expect(state.taskCount == 1)
        guard case .fetch(let third, "tcp://c:3", ["d"]) = state.holders(of: "d", are: ["tcp://c:3"]).first else {
            Issue.record("expected a fetch from the holder the scheduler named"); return
        }
        #expect(executed(state.received(request: third, values: ["d": [1]])) == ["t"])
    }

    @Test func freeingAHandedOutTaskWithdrawsItOrDropsItsResult() {
        var state = WorkerState(threads: 1, runAhead: 1)
        _ = state.compute(request("running"))
        _ = state.compute(request("queued"))
        let effects = state.free(["running", "queued"])
        #expect(effects == [.withdraw(key: "running", run: 1, forSteal: false), .withdraw(key: "queued", run: 1, forSteal: false)])
        // A thread had started "running"; "queued" came back untouched.
        _ = state.withdrawal("running", run: 1, forSteal: false, succeeded: false)
        _ = state.withdrawal("queued", run: 1, forSteal: false, succeeded: true)
        #expect(state.taskCount == 1)
        #expect(told(state.finished("running", result: [1], seconds: 0)).isEmpty, "a freed task's result is not reported")
        #expect(state.values(for: ["running"]).missing == ["running"] && state.taskCount == 0)
    }

    @Test func stealsSucceedOnlyForTasksNoThreadStarted() {
        var state = WorkerState(threads: 1, runAhead: 0)
        _ = state.compute(request("busy"))
        _ = state.compute(request("waiting", run: 3))
        #expect(told(state.steal("waiting", run: 3)) == [.stealResponse(key: "waiting", run: 3, accepted: true)])
        #expect(state.steal("busy", run: 1) == [.withdraw(key: "busy", run: 1, forSteal: true)])
        #expect(told(state.withdrawal("busy", run: 1, forSteal: true, succeeded: false)) == [.stealResponse(key: "busy", run: 1, accepted: false)])
        #expect(told(state.steal("busy", run: 7)) == [.stealResponse(key: "busy", run: 7, accepted: false)], "a stale run is refused")
    }

    @Test func aTaskQueuedAgainAfterAStealRunsOnce() {
        var state = WorkerState(threads: 1, runAhead: 1)
        _ = state.setPaused(true)
        _ = state.compute(request("t"))
        #expect(told(state.steal("t", run: 1)) == [.stealResponse(key: "t", run: 1, accepted: true)])
        _ = state.compute(request("t", run: 2))
        #expect(executed(state.setPaused(false)) == ["t"], "the entry queued for the stolen run is skipped")
    }

    @Test func scatteredDataFeedsWaitingTasksAndStaysUntilFreed() {
        var state = WorkerState(threads: 1)
        _ = state.compute(request("use", [.key("s")], holders: ["s": []]))
        #expect(executed(state.store(["s": [4]])) == ["use"])
        _ = state.finished("use", result: [5], seconds: 0)
        #expect(state.values(for: ["s"]).values == ["s": [4]], "scattered values are not borrowed")
        _ = state.free(["s"])
        #expect(state.values(for: ["s"]).missing == ["s"])
    }

    @Test func freedDataAQueuedTaskReadsStaysUntilItRuns() {
        var state = WorkerState(threads: 1, runAhead: 0)
        _ = state.compute(request("x"))
        _ = state.finished("x", result: [7], seconds: 0)
        _ = state.compute(request("blocker"))
        _ = state.compute(request("reader", [.key("x")]))
        _ = state.free(["x"])
        guard case .execute(let task, let arguments) = state.finished("blocker", result: [], seconds: 0).last else {
            Issue.record("expected the reader to run"); return
        }
        #expect(task.key == "reader" && arguments == [.bytes([7])])
        _ = state.finished("reader", result: [], seconds: 0)
        #expect(state.values(for: ["x"]).missing == ["x"])
    }

    @Test func replicasAreFetchedKeptAndReported() {
        var state = WorkerState(threads: 1)
        let effects = state.replicate(["r": ["tcp://old:1"]])
        guard case .fetch(let id, "tcp://old:1", ["r"]) = effects.first else { Issue.record("expected a fetch of r: \(effects)"); return }
        // A task here that reads the replica does not make it a borrowed copy.
        _ = state.compute(request("t", [.key("r")], holders: ["r": ["tcp://old:1"]]))
        let arrived = state.received(request: id, values: ["r": [4, 2]])
        #expect(told(arrived) == [.keysAdded(["r": 2])])
        #expect(executed(arrived) == ["t"])
        _ = state.finished("t", result: [1], seconds: 0)
        #expect(state.values(for: ["r"]).values == ["r": [4, 2]], "kept after its reader finished")
        #expect(told(state.replicate(["r": ["tcp://old:1"]])) == [.keysAdded(["r": 2])], "already here: reported at once")
    }

    @Test func aReplicaThatCannotBeFetchedIsDroppedQuietly() {
        var state = WorkerState(threads: 1)
        guard case .fetch(let id, _, _) = state.replicate(["r": ["tcp://old:1"]]).first else { Issue.record("expected a fetch"); return }
        #expect(state.fetchFailed(request: id, reason: "gone").isEmpty, "the scheduler asks again if it still matters")
        guard case .fetch = state.replicate(["r": ["tcp://new:2"]]).first else { Issue.record("asked again, it fetches again"); return }
    }
}
