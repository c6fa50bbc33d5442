import Foundation
import Testing
@testable import LoomDistributed

/// A launcher's `concurrentLaunches` are under way together: each launch of this one waits
/// until `width` have arrived, so launches made one after another never get past the first.
@Suite struct ConcurrentLaunchTests {
    /// Lets its callers through once `width` wait at once; the most it saw waiting together.
    actor Gate {
        let width: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []
        private(set) var arrived = 0, mostTogether = 0, inside = 0

        init(width: Int) { self.width = width }

        func arrive() async {
            arrived += 1
            inside += 1
            mostTogether = max(mostTogether, inside)
            if waiting.count + 1 >= width {
                waiting.forEach { $0.resume() }
                waiting = []
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func leave() { inside -= 1 }
    }

    struct GatedLauncher: WorkerLauncher {
        let inner: LocalWorkerLauncher
        let gate: Gate
        var workersPerLaunch: Int { 1 }
        var concurrentLaunches: Int { gate.width }

        func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers {
            await gate.arrive()
            defer { Task { await gate.leave() } }
            return try await inner.launch(name: name, workerNames: workerNames, scheduler: scheduler)
        }
    }

    @Test(.timeLimit(.minutes(1))) func launchesRunTogetherUpToTheLaunchersWidth() async throws {
        let tasks = ClusterTasks()
        let gate = Gate(width: 4)
        let inner = LocalWorkerLauncher(threads: 1, memoryLimit: 1 << 30, memory: WorkerMemoryFractions(), processes: false,
                                        executable: "", security: nil, tlsArguments: [], tasks: tasks)
        let cluster = try await SpecCluster(
            name: "gated", launcher: GatedLauncher(inner: inner, gate: gate),
            scheduler: SchedulerOptions(host: "127.0.0.1", port: 0), tasks: tasks)
        // Four at once pass the gate together; one at a time, the first would wait for ever.
        try await cluster.scale(4)
        #expect(await cluster.scheduler.workerCount == 4)
        #expect(await gate.mostTogether == 4)
        await cluster.close()
    }
}
