import Foundation
import Loom

/// A scheduler serving on a free port in this process, until `stop()`.
public struct RunningScheduler: Sendable {
    public let server: SchedulerServer
    public let address: Address
    private let session: Task<Void, any Error>

    public init(_ options: SchedulerOptions = SchedulerOptions(port: 0), plugins: [any SchedulerPlugin] = []) async throws {
        let server = try SchedulerServer(options: options, plugins: plugins)
        let (bound, announce) = AsyncStream.makeStream(of: Address.self)
        session = Task { try await server.run { announce.yield($0) } }
        var addresses = bound.makeAsyncIterator()
        guard let address = await addresses.next() else { throw LoomError(.workerDied, "the scheduler did not start") }
        self.server = server
        self.address = address
    }

    public func stop() async {
        session.cancel()
        _ = await session.result
    }
}

/// Sums values pairwise, level by level: a tree of `add` tasks over them.
public func reduceByPairs(_ values: [Delayed<Int>]) -> Delayed<Int> {
    var level = values
    while level.count > 1 {
        level = stride(from: 0, to: level.count, by: 2).map { index in
            index + 1 < level.count ? TestTasks.add.delayed(level[index], level[index + 1]) : level[index]
        }
    }
    return level[0]
}
