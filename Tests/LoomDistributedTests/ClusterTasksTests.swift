import Synchronization
import Testing
@testable import LoomDistributed

/// A cluster's tasks are children of one group: each stops alone, closing stops them all, and
/// a dropped group cancels what it runs.
@Suite struct ClusterTasksTests {
    /// Starts a child that runs until cancelled and says so on `ended`.
    private func startUntilCancelled(in tasks: ClusterTasks, _ events: AsyncStream<String>.Continuation, name: String) -> ClusterTask {
        tasks.start {
            events.yield("\(name) started")
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            events.yield("\(name) ended")
        }
    }

    @Test func aChildStopsAloneAndTheOthersRunOn() async throws {
        let tasks = ClusterTasks()
        let (events, sink) = AsyncStream.makeStream(of: String.self)
        var seen = events.makeAsyncIterator()
        let first = startUntilCancelled(in: tasks, sink, name: "first")
        #expect(await seen.next() == "first started")
        let second = startUntilCancelled(in: tasks, sink, name: "second")
        #expect(await seen.next() == "second started")

        await first.stop()
        #expect(await seen.next() == "first ended")

        await tasks.close()
        #expect(await seen.next() == "second ended")
        await second.value()
    }

    @Test func aChildThatReturnsIsFinished() async {
        let tasks = ClusterTasks()
        let (values, sink) = AsyncStream.makeStream(of: Int.self)
        let child = tasks.start { sink.yield(42) }
        await child.value()
        var iterator = values.makeAsyncIterator()
        #expect(await iterator.next() == 42)
        await child.stop()  // stopping a finished child returns at once
        await tasks.close()
    }

    @Test func nothingStartsAfterClose() async {
        let tasks = ClusterTasks()
        await tasks.close()
        let ran = Mutex(false)
        let child = tasks.start { ran.withLock { $0 = true } }
        await child.value()
        #expect(ran.withLock { $0 } == false)
    }

    @Test func droppingTheTasksCancelsTheirChildren() async {
        let (events, sink) = AsyncStream.makeStream(of: String.self)
        var seen = events.makeAsyncIterator()
        var tasks: ClusterTasks? = ClusterTasks()
        let child = startUntilCancelled(in: tasks!, sink, name: "child")
        #expect(await seen.next() == "child started")
        tasks = nil
        #expect(await seen.next() == "child ended")
        await child.value()
    }
}
