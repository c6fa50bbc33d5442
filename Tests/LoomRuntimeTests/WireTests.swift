import LoomCore
import Testing
@testable import LoomRuntime

/// One of every message, with awkward values where they matter.
let sampleMessages: [Message] = [
    .hello(Hello(role: .worker, name: "w-1", address: "tcp://127.0.0.1:4000", threads: 2, memoryLimit: 2_000_000_000,
                 resources: ["GPU": 1], functions: ["inc": "(Swift.Int) -> Swift.Int"])),
    .hello(Hello(role: .client, name: "client-ü")),
    .hello(Hello(role: .worker, name: "w", supervised: true)),
    .welcome(Welcome(scheduler: "tcp://127.0.0.1:8786")),
    .refused("registry differs: 'add'"),
    .updateGraph(
        tasks: [
            WireTask(key: "inc-1", function: "inc", arguments: [.value([3, 2])], order: 0),
            WireTask(key: "sum-2", function: "sum", arguments: [.list([.key("inc-1"), .value([]), .list([.key("x")])])],
                     order: 1, priority: -3, retries: 2, workers: ["w-1"], allowOtherWorkers: true, resources: ["GPU": 0.5]),
        ], wanted: ["sum-2"], functions: ["inc": "(Swift.Int) -> Swift.Int"]),
    .releaseKeys(["a", "b"]), .cancelKeys([]), .stillWaiting(["a", "b"]), .whoHas(request: 7, keys: ["a"]), .schedulerInfoRequest(request: .max),
    .keyInMemory(key: "a", nbytes: 123, holders: ["tcp://x:1"]),
    .taskErred(key: "a", function: "fail", message: "bad input 42", errorType: "ParseError"), .keyCancelled(key: "a"), .graphRejected(message: "no"),
    .whoHasReply(request: 7, holders: ["a": ["tcp://x:1", "tcp://y:2"], "b": []]),
    .schedulerInfo(request: 1, workers: [WorkerSummary(name: "w", address: "tcp://x:1", threads: 1, memoryLimit: 5, processing: 2, inMemory: 3,
                                                       metrics: WorkerMetrics(managedBytes: 7, spilledBytes: 1 << 40, processBytes: 9, paused: true))]),
    .heartbeat(WorkerMetrics(managedBytes: 1, spilledBytes: 2, processBytes: 3, paused: false, spillWrittenBytes: 4, spillWriteSeconds: 0.5)),
    .holders(key: "a", addresses: ["tcp://x:1"]), .fetchFailed(key: "a", holders: ["tcp://x:1", "tcp://y:2"]),
    .replicate(["a": ["tcp://x:1"], "b": []]), .keysAdded(["a": 5, "b": 0]),
    .restart(request: 3, timeout: 60), .restarted(request: 3, error: nil), .restarted(request: 4, error: "only 1 of 2"), .restartWorker,
    .closeClient, .closeWorker, .retireRequest,
    .compute(ComputeRequest(task: WireTask(key: "add-3", function: "add", arguments: [.key("a"), .value([1])]), holders: ["a": ["tcp://x:1"]], run: 4, generation: 2)),
    .compute(ComputeRequest(
        task: WireTask(key: Key(prefix: "add", token: 0x3f), function: "add", arguments: [.key(Key(prefix: "inc", token: 0)), .key("inc-0")]),
        holders: [Key(prefix: "inc", token: 0): ["tcp://x:1"], "inc-0": []], run: 5)),
    .freeKeys([Key(prefix: "sümme", token: .max), Key(prefix: "", token: 1), ""]),
    .freeKeys(["a"]), .steal(key: "a", run: 4),
    .taskFinished(key: "a", run: 4, nbytes: 9, seconds: 0.25), .taskFailed(key: "a", run: -1, message: "boom", errorType: "DecodingError"), .stealResponse(key: "a", run: 4, accepted: true),
    .taskSeceded(key: "fib-7", run: 12), .fireAndForget(["fetch-1", "fetch-2"]), .retry(["flaky-1"]),
    .getData(request: 3, keys: ["a", "b"]),
    .data(request: 3, values: ["a": Array(repeating: 7, count: 1000), "b": []], missing: ["c"]),
    .scattered([ScatteredValue(key: "scatter-1", nbytes: 8, holders: ["tcp://x:1", "tcp://y:2"])]),
    .putData(request: 9, values: ["scatter-1": [1, 2, 3]]), .dataStored(request: 9),
    .runFunction(request: 10, function: "inc", arguments: [[4], []]),
    .installPlugin(type: "model", options: [1, 2, 3]),
    .pluginInstalled(type: "model", error: nil),
    .pluginInstalled(type: "model", error: "no weights"),
    .actorCall(request: 11, actor: "actor-counter-1", method: "actor-method/counter.add", arguments: [[4], [1, 2]]),
    .runResult(request: 10, value: [5], error: nil), .runResult(request: 11, value: [], error: "boom ü"),
]

@Suite struct WireTests {
    @Test func everyMessageRoundTrips() throws {
        for message in sampleMessages {
            #expect(try Wire.decode(Wire.encode([message])) == [message])
        }
        #expect(try Wire.decode(Wire.encode(sampleMessages)) == sampleMessages)
        #expect(try Wire.decode(Wire.encode([])) == [])
    }

    @Test func valuesTravelAsAttachmentsNotReencoded() throws {
        let big = [UInt8](repeating: 0xAB, count: 1 << 20)
        let body = Wire.encode([.data(request: 1, values: ["x": big], missing: [])])
        #expect(body.count < big.count + 64)
        // The value sits verbatim at the end of the frame.
        #expect(Array(body.suffix(big.count)) == big)
    }

    @Test func arbitraryBytesNeverCrashTheDecoder() {
        var generator = SplitMix64(seed: 42)
        let valid = Wire.encode(sampleMessages)
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(generator.next() % 96)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                bytes = valid
                for _ in 0..<(1 + generator.next() % 4) {
                    let position = Int(generator.next() % UInt64(bytes.count))
                    switch generator.next() % 3 {
                    case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                    case 1: bytes.remove(at: position)
                    default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                    }
                }
            }
            do {
                _ = try Wire.decode(bytes)
            } catch is CodecError {
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func errorsSayWhatAndWhere() {
        let error = #expect(throws: CodecError.self) { try Wire.decode([3, 0, 1, 0x63]) }
        #expect(error?.description.contains("unknown message kind 99") == true)
        #expect(error?.offset == 3)
    }
}
