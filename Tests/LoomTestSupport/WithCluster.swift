import Foundation
import Loom

/// A cluster of real worker processes on loopback, closed (with every process) after `body`.
/// A LocalCluster of worker processes and a client of it; `dashboard: ":0"` adds a dashboard
/// on a free port. The client is the process's default only with `setAsDefault` (tests run
/// side by side, and the default is one for all of them).
public func withCluster<T>(workers: Int = 2, threads: Int = 1, memoryLimit: String = "1GB", dashboard: String? = nil,
                    security: Security? = nil, setAsDefault: Bool = false, _ body: (LocalCluster, Client) async throws -> T) async throws -> T {
    Dashboard.installAsDefault()  // as Loom.bootstrap does in a program
    FrameShuffling.install(forClusters: P2PShuffler())  // likewise
    let cluster = try await LocalCluster(
        workers: workers, threadsPerWorker: threads, memoryLimit: memoryLimit, executable: TestTasks.workerExecutable,
        dashboardAddress: dashboard, security: security)
    let client: Client
    do {
        client = try await Client(cluster, setAsDefault: setAsDefault)
    } catch {
        await cluster.close()
        throw error
    }
    do {
        let result = try await body(cluster, client)
        await client.close()
        await cluster.close()
        return result
    } catch {
        await client.close()
        await cluster.close()
        throw error
    }
}
