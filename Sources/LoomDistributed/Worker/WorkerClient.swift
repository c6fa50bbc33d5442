import LoomCore
import Synchronization

/// The client a worker's tasks share (`TaskContext.client()`): connected to the worker's
/// scheduler on first use, with the worker's TLS settings, closed with the worker.
final class WorkerClient: Sendable {
    private let scheduler: Address
    private let security: Security?
    private let connecting = Mutex<Task<Client, any Error>?>(nil)
    private let local = Mutex<Client.LocalHolder?>(nil)

    init(scheduler: Address, security: Security?) {
        self.scheduler = scheduler
        self.security = security
    }

    /// Where this worker serves its values, and how its tasks' client reads them in process.
    func serveLocally(at address: String, _ values: @escaping @Sendable ([Key]) async -> (values: [Key: [UInt8]], missing: [Key])) {
        local.withLock { $0 = Client.LocalHolder(address: address, values: values) }
    }

    func client() async throws -> Client {
        let task = connecting.withLock { connecting in
            if let connecting { return connecting }
            let (scheduler, security, local) = (scheduler, security, local.withLock { $0 })
            let task = Task {
                let client = try await Client(address: scheduler, security: try Self.clientSecurity(security), onWorker: local?.address ?? "")
                client.localHolder.withLock { $0 = local }
                return client
            }
            connecting = task
            return task
        }
        do {
            return try await task.value
        } catch {
            // A failed connection is tried again by the next task that asks.
            connecting.withLock { if $0 == task { $0 = nil } }
            throw error
        }
    }

    func close() async {
        guard let task = connecting.withLock({ $0 }), let client = try? await task.value else { return }
        await client.close()
    }

    /// The worker's TLS settings for a client: its own certificate stands in for a client's
    /// when it has none (the scheduler checks the authority, not the role).
    private static func clientSecurity(_ security: Security?) throws -> Security? {
        guard let security, security.credentials[.client] == nil else { return security }
        return try Security(
            ca: security.authority, scheduler: security.credentials[.scheduler], worker: security.credentials[.worker],
            client: security.credentials[.worker], requireEncryption: security.requireEncryption)
    }
}
