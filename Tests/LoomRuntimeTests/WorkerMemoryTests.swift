import LoomCore
import Testing
@testable import LoomRuntime

/// The worker's memory decisions, without files or a clock: what spills, what comes back, when
/// it pauses (`StoredValues`, `WorkerState+Memory`).
@Suite struct WorkerMemoryTests {
    typealias Effect = WorkerState.Effect

    func spilled(_ effects: [Effect]) -> [Key] {
        effects.compactMap { if case .spill(let key, _) = $0 { key } else { nil } }
    }

    func request(_ key: Key, _ arguments: [WireArgument]) -> ComputeRequest {
        ComputeRequest(task: WireTask(key: key, function: "f", arguments: arguments), holders: [:], run: 1)
    }

    @Test func valuesPastTheTargetSpillLeastRecentlyUsedFirst() {
        var values = StoredValues(target: 25)
        #expect(values.store("a", [UInt8](repeating: 1, count: 10)).spills.isEmpty)
        #expect(values.store("b", [UInt8](repeating: 2, count: 10)).spills.isEmpty)
        _ = values.use("a")  // b is now the least recently used
        let spills = values.store("c", [UInt8](repeating: 3, count: 10)).spills
        #expect(spills.map(\.key) == ["b"] && spills[0].bytes == [UInt8](repeating: 2, count: 10))
        #expect(values.memoryBytes == 20 && values.spilledBytes == 10 && values.use("b") == .spilled && values.nbytes(of: "b") == 10)
        // Read back, b is in memory again and the least recently used of the others goes.
        let back = values.loaded("b", [UInt8](repeating: 2, count: 10))
        #expect(back.wasSpilled && back.spills.map(\.key) == ["a"])
        #expect(values.remove("a") == true, "a was on disk: its file can go")
        #expect(values.remove("b") == false && values.count == 1)
    }

    @Test func aFailedWriteKeepsTheValueAndStopsSpilling() {
        var values = StoredValues(target: 5)
        let spills = values.store("a", [1, 2, 3, 4, 5, 6]).spills
        #expect(spills.map(\.key) == ["a"])
        values.spillFailed("a", [1, 2, 3, 4, 5, 6], reason: "disk full")
        #expect(values.use("a") == .memory([1, 2, 3, 4, 5, 6]) && values.memoryBytes == 6 && values.spilledBytes == 0)
        #expect(values.store("b", [7, 8, 9]).spills.isEmpty && values.spill(atLeast: 100).isEmpty)
        #expect(values.spillProblem == "disk full")
    }

    @Test func processMemoryPastTheSpillThresholdSpillsToTheTargetAndPausesPastThePause() {
        var state = WorkerState(threads: 1, memory: WorkerMemoryThresholds(target: 60, spill: 70, pause: 80))
        _ = state.store(["a": [UInt8](repeating: 0, count: 30), "b": [UInt8](repeating: 0, count: 30)])
        #expect(state.memorySampled(processBytes: 65).isEmpty, "under the spill threshold: nothing")
        // 100 bytes in the process: spill until held memory would be at the target (40 to go: both).
        let effects = state.memorySampled(processBytes: 100)
        #expect(Set(spilled(effects)) == ["a", "b"])
        #expect(!effects.contains(.pausedChanged(true)), "what spilling frees counts at once: 40 is under the pause threshold")
        #expect(state.memorySampled(processBytes: 90) == [.pausedChanged(true)], "nothing left to spill: it pauses")
        #expect(state.paused)
        #expect(state.memorySampled(processBytes: 50) == [.pausedChanged(false)])
    }

    @Test func spilledArgumentsAreReadBackByTheServerAndFreedValuesLoseTheirFiles() {
        var state = WorkerState(threads: 1, runAhead: 0, memory: WorkerMemoryThresholds(target: 4))
        let stored = state.store(["x": [1, 2, 3], "y": [4, 5, 6]])
        #expect(spilled(stored) == ["x"] || spilled(stored) == ["y"], "two values past a 4-byte target: one spills")
        let gone = spilled(stored)[0], kept: Key = gone == "x" ? "y" : "x"
        let run = state.compute(request("t", [.key(gone), .list([.key(kept), .key(gone)])]))
        guard case .execute(_, let arguments)? = run.first(where: { if case .execute = $0 { true } else { false } }) else {
            Issue.record("expected the task to run"); return
        }
        #expect(arguments[0] == .spilled(gone))
        guard case .list(let items) = arguments[1] else { Issue.record("a list holding a spilled value stays a list"); return }
        #expect(items[1] == .spilled(gone))
        // The server read it back: its file goes, and the value is in memory again.
        let back = state.loaded(gone, gone == "x" ? [1, 2, 3] : [4, 5, 6])
        #expect(back.first == .deleteSpilled(key: gone))
        #expect(state.loaded(gone, [0]).isEmpty, "read back twice: the second is ignored")
        // Freed while spilled (once no task here reads it), a value's file is deleted.
        let respilled = spilled(back)
        #expect(respilled == [kept], "reading one back made the other spill: \(back)")
        _ = state.finished("t", result: [], seconds: 0)
        let freed = state.free(respilled)
        #expect(respilled.allSatisfy { key in freed.contains(.deleteSpilled(key: key)) }, "\(freed)")
    }

    @Test func aTaskThatReadsASpilledValueIsNotRunAhead() {
        var state = WorkerState(threads: 1, runAhead: 4, memory: WorkerMemoryThresholds(target: 4))
        let gone = spilled(state.store(["x": [1, 2, 3], "y": [4, 5, 6]]))
        #expect(gone.count == 1)
        let handed = { (effects: [Effect]) in effects.compactMap { if case .execute(let task, _) = $0 { task.key } else { nil } } }
        #expect(handed(state.compute(request("first", []))) == ["first"], "the thread's own task")
        // Beyond the thread a task waits with its arguments in hand; one that must read its
        // value back from disk waits for a thread instead, and so do the tasks behind it.
        #expect(handed(state.compute(request("reads-disk", [.key(gone[0])]))).isEmpty)
        #expect(handed(state.compute(request("after", []))).isEmpty, "handed out in order")
        #expect(handed(state.finished("first", result: [], seconds: 0)) == ["reads-disk", "after"])
    }
}
