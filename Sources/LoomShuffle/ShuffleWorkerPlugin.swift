import Foundation
import LoomCore
import LoomDistributed

/// Starts the process's shuffle service with its first worker (in the worker's directory,
/// reached through that worker's address) and stops it with the last.
public final class ShuffleWorkerPlugin: WorkerPlugin {
    public let name = "p2p-shuffle"
    private let workers = Mutex<Int>(0)

    public init() {}

    public func setup(_ worker: WorkerContext) async throws {
        try workers.withLock { count in
            count += 1
            guard count == 1 else { return }
            let service = try ShuffleService(directory: worker.localDirectory + "/shuffle", address: worker.address, peers: worker.peers)
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
}

import Synchronization
