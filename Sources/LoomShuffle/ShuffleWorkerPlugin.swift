import Foundation
import LoomCore
import LoomDistributed

/// Starts the process's shuffle service with its first worker (in the worker's directory, on
/// the worker's host) and stops it with the last.
public final class ShuffleWorkerPlugin: WorkerPlugin {
    public let name = "p2p-shuffle"
    private let workers = Mutex<Int>(0)

    public init() {}

    public func setup(_ worker: WorkerContext) async throws {
        try workers.withLock { count in
            count += 1
            guard count == 1 else { return }
            let service = try ShuffleService(directory: worker.localDirectory + "/shuffle", host: Self.host(of: worker.address))
            ShuffleService.shared.withLock { $0 = service }
        }
    }

    public func teardown(_ worker: WorkerContext) async {
        workers.withLock { count in
            count -= 1
            guard count == 0 else { return }
            ShuffleService.shared.withLock { service in
                service?.stop()
                service = nil
            }
        }
    }

    /// `tcp://127.0.0.1:4000` → `127.0.0.1`; `tls://[::1]:4000` → `::1`.
    static func host(of address: String) -> String {
        var rest = Substring(address)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if rest.hasPrefix("["), let end = rest.firstIndex(of: "]") { return String(rest[rest.index(after: rest.startIndex)..<end]) }
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return String(rest)
    }
}

import Synchronization
