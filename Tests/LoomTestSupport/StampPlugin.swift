import Foundation
import Loom
import Synchronization

/// A worker plugin the tests install at run time: it stamps its worker process with its options
/// while set up (`StampPlugin.current`), and refuses the options "fail".
public final class StampPlugin: InstallableWorkerPlugin {
    public static let typeName = "stamp"
    public let name = "stamp"
    let stamp: String
    /// What the plugin set up in this process stamped; what each teardown removed, in order.
    static let state = Mutex<(current: String?, tornDown: [String])>((nil, []))

    public init(options stamp: String) { self.stamp = stamp }

    public func setup(_ worker: WorkerContext) async throws {
        if stamp == "fail" { throw TestFailure(message: "stamp refused on \(worker.name)") }
        Self.state.withLock { $0.current = stamp }
    }

    public func teardown(_ worker: WorkerContext) async {
        Self.state.withLock { state in
            if state.current == stamp { state.current = nil }
            state.tornDown.append(stamp)
        }
    }

    /// This worker process's stamp and the stamps torn down here, for a test to read with `client.run`.
    public static let report = TaskFunction("stamp-report") { () -> [String] in
        let (current, tornDown) = state.withLock { ($0.current, $0.tornDown) }
        return [current ?? "none"] + tornDown
    }
}
