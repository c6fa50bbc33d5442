import Foundation
import Loom
import LoomTestSupport
import NIOCore
import NIOPosix
import LoomCore
import Testing
@testable import LoomDistributed
@testable import LoomRuntime

/// Sends raw bytes to the scheduler on a fresh TCP connection, half-closes it, and waits for
/// the scheduler to close it.
func sendRaw(_ bytes: [UInt8], to address: Address) async throws {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: address.host, port: address.port) { channel in
            channel.eventLoop.makeCompletedFuture {
                // Half-closing after the bytes lets the scheduler see the end even of a valid hello.
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
    try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(bytes: bytes))
        outbound.finish()
        for try await _ in inbound {}  // until the scheduler closes it
    }
}

func frame(_ body: [UInt8]) -> [UInt8] {
    withUnsafeBytes(of: UInt32(body.count).littleEndian) { Array($0) } + body
}

@Suite(.serialized) struct LiveSchedulerTests {
    @Test func garbageClosesOneConnectionAndTheSchedulerServesOn() async throws {
        try await withCluster { cluster, client in
            var random = SplitMix64(seed: 7)
            let valid = Wire.encode([.hello(Hello(role: .client, name: "fuzz")), .updateGraph(tasks: [], wanted: [], functions: [:])])
            for round in 0..<200 {
                var body: [UInt8]
                switch round % 4 {
                case 0: body = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                case 1:
                    body = valid
                    let position = Int(random.next() % UInt64(body.count))
                    body[position] = UInt8(truncatingIfNeeded: random.next())
                case 2: body = Array(valid.prefix(Int(random.next() % UInt64(valid.count))))
                default: body = Wire.encode([.taskFinished(key: "nope", run: 1, nbytes: 1, seconds: 1)])  // not a hello
                }
                let bytes = round % 8 == 7 ? Array(frame(body).prefix(3)) : frame(body)
                try await sendRaw(bytes, to: cluster.schedulerAddress)
            }
            // An oversized frame announcement is refused before anything is buffered.
            try await sendRaw(withUnsafeBytes(of: UInt32.max.littleEndian) { Array($0) }, to: cluster.schedulerAddress)
            // The scheduler still serves its workers and clients.
            #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<20))).reduce(0, +) == 210)
            #expect(try await client.schedulerInfo().count == 2)
        }
    }

    @Test func aWorkerWithDifferentFunctionsIsRefusedNamingThem() async throws {
        try await withCluster(workers: 1) { cluster, _ in
            let link = FileManager.default.temporaryDirectory.appendingPathComponent("loom-test-worker-\(UUID().uuidString)-mismatch").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: TestTasks.workerExecutable)
            defer { try? FileManager.default.removeItem(atPath: link) }
            let (status, _, output) = try await runProcess(link, ["worker", cluster.schedulerAddress.description, "--nthreads", "1"])
            #expect(status != 0)
            #expect(output.contains("refused"))
            #expect(output.contains("'add' differs"))
            #expect(output.contains("'sum' is not registered"))
        }
    }

    /// A scheduler may send work in the same frame as its welcome (a worker joining while tasks
    /// are queued); a stand-in scheduler does exactly that, and the worker must run the task.
    @Test func workSharingTheWelcomesFrameIsRun() async throws {
        try TaskRegistry.shared.register([TestTasks.inc])
        let listener = try await Transport.listen(host: "127.0.0.1", port: 0)
        let address = Address(host: "127.0.0.1", port: try #require(listener.channel.localAddress?.port))
        let worker = Task { try await WorkerServer(options: WorkerOptions(scheduler: address, name: "w", threads: 1)).run() }
        defer { worker.cancel() }
        // Without the fix the worker never answers; the 30-s guard turns that hang into a failure.
        let report: Message? = try await firstOf(after: .seconds(30)) { try await listener.executeThenClose { connections in
            for try await connection in connections {
                return try await connection.executeThenClose { inbound, outbound in
                    var batches = MessageBatches(frames: inbound).makeAsyncIterator()
                    _ = try await batches.next()  // the hello
                    let task = WireTask(key: "inc-1", function: TestTasks.inc.name, arguments: [.value(try ValueCodec.encode(41))])
                    try await outbound.send([.welcome(Welcome(scheduler: "stand-in")), .compute(ComputeRequest(task: task, holders: [:], run: 7))])
                    while let batch = try await batches.next() {
                        if let report = batch.first(where: { if case .taskFinished = $0 { true } else { false } }) { return report }
                    }
                    return nil
                }
            }
            return nil
        } }
        guard case .taskFinished("inc-1", 7, _, _, _) = report else {
            Issue.record("the worker did not run the task that came with the welcome: \(String(describing: report))")
            return
        }
    }
}

/// `body`'s result, or `nil` if `limit` passes first (then `body` is cancelled).
func firstOf<T: Sendable>(after limit: Duration, _ body: @escaping @Sendable () async throws -> T?) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}
