import Foundation
import Loom
import LoomTestSupport
import Testing

/// Async task bodies: they run on workers without holding a thread while they await, reach
/// their cluster through `TaskContext.client()`, and launch tasks they wait on.
@Suite(.serialized) struct AsyncTaskTests {
    @Test func asyncBodiesRunOnWorkersWithTheirContext() async throws {
        try await withCluster { _, client in
            let doubled = try await client.map(TestTasks.doubleLater, Array(0..<50))
            #expect(try await client.gather(doubled) == (0..<50).map { 2 * $0 })
            let placed = try await client.submit(TestTasks.whereAmI, key: "placed")
            #expect(try await placed.result().hasPrefix("placed on "), "the task's key and worker are in its context")
            let failing = try await client.submit(TestTasks.failLater, 3)
            let error = await #expect(throws: LoomError.self) { try await failing.result() }
            #expect(error?.key == failing.key && error?.message.contains("bad async input 3") == true, "\(String(describing: error))")
            #expect(error?.code == .taskFailed && error?.remoteType == "TestFailure", "the thrown error's type comes back with it")
            // A task that lets its subtask's failure go on fails with the subtask's type and
            // message, and so do the tasks that depend on it.
            let passing = try await client.submit(TestTasks.failThroughSubtask, 5)
            let dependent = try await client.submit(TestTasks.inc, passing)
            for future in [passing, dependent] {
                let passed = await #expect(throws: LoomError.self) { try await future.result() }
                #expect(passed?.remoteType == "TestFailure" && passed?.message.contains("bad input 5") == true, "\(String(describing: passed))")
                #expect(passed?.key == future.key)
            }
        }
    }

    @Test(.timeLimit(.minutes(3))) func tasksLaunchingTasksFinishOnOneThreadPerWorker() async throws {
        // fib(14) is 1 219 tasks, each waiting on two: with a thread held per waiting task two
        // one-thread workers would deadlock at once.
        try await withCluster(workers: 2, threads: 1) { _, client in
            let fib = try await client.submit(TestTasks.fib, 14)
            #expect(try await fib.result() == 377)
        }
    }

    @Test func theInProcessSchedulersWaitForAsyncBodies() async throws {
        let graph = TestTasks.add.delayed(TestTasks.doubleLater.delayed(20), TestTasks.doubleLater.delayed(1))
        #expect(try await graph.compute(scheduler: .threads(2)) == 42)
        #expect(try await graph.compute(scheduler: .synchronous) == 42)
        #expect(try await TestTasks.whereAmI.delayed().compute(scheduler: .threads(1)) == "none")
        #expect(try await TestTasks.doubleLater.call(4) == 8)
        let outside = await #expect(throws: LoomError.self) { try await TaskContext.client() }
        #expect(outside?.code == .unsupported && outside?.message.contains("cluster worker") == true)
    }
}
