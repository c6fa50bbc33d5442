import Foundation
import Loom
import Synchronization

/// A worker plugin for the tests: counts its setups and the tasks it saw finish on its worker,
/// and at teardown leaves a file named after the worker in `$LOOM_TEST_PLUGIN_DIR`.
public final class RecordingWorkerPlugin: WorkerPlugin {
    public let name = "recording"
    private let state = Mutex<(worker: String, setups: Int, finished: Int, firstInc: Key?, transitions: [String])>(("", 0, 0, nil, []))

    public init() {}

    public func setup(_ worker: WorkerContext) async throws {
        state.withLock { state in
            state.worker = worker.name
            state.setups += 1
        }
    }

    public func teardown(_ worker: WorkerContext) async {
        guard let directory = ProcessInfo.processInfo.environment["LOOM_TEST_PLUGIN_DIR"] else { return }
        FileManager.default.createFile(atPath: "\(directory)/\(worker.name)", contents: Data(report.utf8))
    }

    public func transition(key: Key, start: WorkerTaskState, finish: WorkerTaskState) {
        state.withLock { state in
            if start == .executing, finish == .memory { state.finished += 1 }
            if key.prefix == "inc", state.firstInc == nil { state.firstInc = key }
            if key == state.firstInc { state.transitions.append("\(start.rawValue)>\(finish.rawValue)") }
        }
    }

    /// `worker=NAME setups=N finished=N inc=released>ready,…` (the first `inc` task's changes).
    public var report: String {
        state.withLock { state in
            "worker=\(state.worker) setups=\(state.setups) finished=\(state.finished) inc=\(state.transitions.prefix(3).joined(separator: ","))"
        }
    }
}
