import Foundation
import Loom
import Synchronization

private let callCount = Atomic<Int>(0)
private let heldLocks = Mutex<[DistributedLock]>([])

/// Task functions the tests run, registered by the `loom-test-worker` executable too so the
/// process scheduler can run them there.
public enum TestTasks {
    public static let inc = TaskFunction("inc") { (x: Int) in x + 1 }
    public static let add = TaskFunction("add") { (a: Int, b: Int) in a + b }
    public static let sum = TaskFunction("sum") { (values: [Int]) in values.reduce(0, +) }
    public static let scale = TaskFunction("scale") { (values: [Double], factor: Double) in values.map { $0 * factor } }
    public static let fail = TaskFunction("fail") { (x: Int) -> Int in throw TestFailure(message: "bad input \(x)") }
    /// Kills its own process, as an out-of-memory killer or a segfault would.
    public static let dieHard = TaskFunction("die-hard") { (x: Int) -> Int in
        kill(getpid(), SIGKILL)
        return x
    }
    /// Holds `bytes` of touched memory for `seconds`: pushes a worker past its memory limit.
    public static let allocate = TaskFunction("allocate") { (bytes: Int, seconds: Double) -> Int in
        let buffer = [UInt8](repeating: 1, count: bytes)
        Thread.sleep(forTimeInterval: seconds)
        return buffer.count
    }
    public static let processID = TaskFunction("process-id") { (_: Int) -> Int32 in getpid() }
    public static let workerProcessID = TaskFunction("worker-process-id") { () -> Int32 in getpid() }
    public static let sleepThenEcho = TaskFunction("sleep-then-echo") { (x: Int, seconds: Double) -> Int in
        Thread.sleep(forTimeInterval: seconds)
        return x
    }
    /// Writes its process id to a file, then sleeps: lets a test find and watch a worker.
    public static let reportThenSleep = TaskFunction("report-then-sleep") { (path: String, seconds: Double) -> Int in
        try "\(getpid())\n".write(toFile: path, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: seconds)
        return 0
    }
    public static let describePoint = TaskFunction("describe-point") { (point: Point) in "(\(point.x), \(point.y)) \(point.label ?? "-")" }

    /// `count` bytes of a repeating pattern, to move large values around.
    /// Byte `i` is `UInt8(truncatingIfNeeded: i &* 31 &+ 7)`, which repeats every 256 bytes:
    /// built by copying that cycle, so 100 MB take milliseconds even in debug builds.
    public static let pattern = TaskFunction("pattern") { (count: Int) -> [UInt8] in
        let cycle = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var start = 0
            while start < count {
                let length = min(256, count - start)
                cycle.withUnsafeBufferPointer { _ = memcpy(buffer.baseAddress! + start, $0.baseAddress!, length) }
                start += length
            }
            initialized = count
        }
    }
    public static let byteAt = TaskFunction("byte-at") { (bytes: [UInt8], index: Int) -> UInt8 in bytes[index] }
    public static let checksum = TaskFunction("checksum") { (bytes: [UInt8]) -> UInt64 in
        bytes.reduce(0) { $0 &* 31 &+ UInt64($1) }
    }

    /// The worker plugin the test worker runs, and what it recorded in that worker.
    public static let recording = RecordingWorkerPlugin()
    public static let pluginReport = TaskFunction("plugin-report") { (_: Int) -> String in recording.report }

    /// Array blocks: each element squared plus one (`mapBlocks`), and a block of its own
    /// position (`fromBlocks`: element value = its flat index in the whole array).
    public static let squarePlusOne = TaskFunction("square-plus-one") { (block: NDArray<Double>) in
        try NDArray(shape: block.shape, scalars: block.scalars.map { $0 * $0 + 1 })
    }
    public static let positions = TaskFunction("positions") { (info: BlockInfo) -> NDArray<Double> in
        let strides = NDArray<Double>.strides(of: info.arrayShape)
        let count = info.shape.reduce(1, *)
        var scalars = [Double](repeating: 0, count: count)
        let blockStrides = NDArray<Double>.strides(of: info.shape)
        for flat in 0..<count {
            var rest = flat, global = 0
            for dimension in info.shape.indices {
                global += (rest / blockStrides[dimension] + info.start[dimension]) * strides[dimension]
                rest %= blockStrides[dimension]
            }
            scalars[flat] = Double(global)
        }
        return try NDArray(shape: info.shape, scalars: scalars)
    }

    /// A partition with a column `w` = `v` * 10 (for `mapPartitions` on every scheduler).
    public static let timesTen = TaskFunction("times-ten") { (table: Table) in
        try table.assign("w", col("v") * 10)
    }

    /// A partition passed on unchanged, after writing this process's pid into the folder its
    /// `marker` column names and a pause: a test sees which workers computed partitions, and
    /// when, and has time to kill one mid-shuffle.
    public static let markThenPass = TaskFunction("mark-then-pass") { (table: Table) in
        let folder = try table["marker"].strings.first ?? "/tmp"
        FileManager.default.createFile(atPath: "\(folder)/\(getpid())-\(UUID().uuidString)", contents: nil)
        usleep(150_000)
        return table
    }

    /// An async body: awaits (without holding a thread) before it answers.
    public static let doubleLater = TaskFunction("double-later") { (x: Int) async throws -> Int in
        try await Task.sleep(for: .milliseconds(5))
        return 2 * x
    }
    /// The running task's key and worker as its context gives them ("none" outside a worker).
    public static let whereAmI = TaskFunction("where-am-i") { () async throws -> String in
        guard let context = TaskContext.current else { return "none" }
        return "\(context.key) on \(context.worker)"
    }
    public static let failLater = TaskFunction("fail-later") { (x: Int) async throws -> Int in
        await Task.yield()
        throw TestFailure(message: "bad async input \(x)")
    }
    /// Waits on a task that fails and lets its error go on: the failure keeps its first type.
    public static let failThroughSubtask = TaskFunction("fail-through-subtask") { (x: Int) async throws -> Int in
        try await TaskContext.client().submit(TestTasks.fail, x).result()
    }
    /// Tasks launching tasks: every call waits on two more, so it finishes on a single thread
    /// only if waiting gives the thread back.
    public static let fib: TaskFunction<Int, Int> = TaskFunction("fib") { (n: Int) async throws -> Int in
        if n < 2 { return n }
        let client = try await TaskContext.client()
        let a = try await client.submit(TestTasks.fib, n - 1), b = try await client.submit(TestTasks.fib, n - 2)
        return try await a.result() + b.result()
    }

    /// Writes `value` to the file at `path` (a test sees from outside that the task ran).
    public static let writeMarker = TaskFunction("write-marker") { (path: String, value: Int) -> Int in
        try "\(value)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return value
    }
    /// Fails the first time (leaving a file at `path`), answers `value` once the file is there.
    public static let failFirstTime = TaskFunction("fail-first-time") { (path: String, value: Int) -> Int in
        guard FileManager.default.fileExists(atPath: path) else {
            try "failed once\n".write(toFile: path, atomically: true, encoding: .utf8)
            throw TestFailure(message: "first call of \(path)")
        }
        return value
    }
    /// Counts its calls in this process: a task that ran once, not twice, says 1.
    public static let countCalls = TaskFunction("count-calls") { (x: Int) -> Int in
        callCount.add(1, ordering: .relaxed).newValue
    }

    /// Publishes `values` on `topic` from inside a task; how many subscribers the last reached.
    public static let publish = TaskFunction("publish") { (topic: String, values: [String]) async throws -> Int in
        let pub = try await Pub<String>(topic, client: try await TaskContext.client())
        var reached = 0
        for value in values { reached = try await pub.put(value) }
        return reached
    }
    /// Takes one item off the queue `name`, waiting for it; returns this process's id first
    /// through the variable `name/pid`, so a test can kill it while it waits.
    public static let takeFromQueue = TaskFunction("take-from-queue") { (name: String) async throws -> Int in
        let client = try await TaskContext.client()
        let queue = try await LoomQueue<Int>(name, client: client)
        try await Variable<Int32>("\(name)/pid", client: client).set(getpid())
        return try await queue.get()
    }
    /// Takes the lock `name` from inside a task and keeps it for as long as this process
    /// lives (its lease refreshed by the worker's client); answers the process id.
    public static let holdLock = TaskFunction("hold-lock") { (name: String, leaseSeconds: Double) async throws -> Int32 in
        let lock = try await DistributedLock(name, leaseTimeout: .seconds(leaseSeconds), client: try await TaskContext.client())
        guard try await lock.acquire(timeout: .seconds(30)) else { throw TestFailure(message: "lock \(name) was not free") }
        heldLocks.withLock { $0.append(lock) }
        return getpid()
    }

    /// Bag functions, for bags on processes and clusters.
    public static let words = BagFlatMap("words") { (line: String) in line.split(separator: " ").map(String.init) }
    public static let isLong = BagFilter("is-long") { (word: String) in word.count > 3 }
    public static let length = BagMap("length") { (word: String) in word.count }
    public static let total = BagFold("total", initial: 0) { (a: Int, b: Int) in a + b }
    public static let firstLetter = BagKey("first-letter") { (word: String) in String(word.prefix(1)) }
    public static let lengthByLetter = BagFoldBy("length-by-letter", key: { (word: String) in String(word.prefix(1)) }, value: { $0.count }, initial: 0, +)

    public static let all: [any TaskFunctionRepresentable] = [
        TestActors.tally, StampPlugin.report,
        timesTen, markThenPass, words, isLong, length, total, firstLetter, lengthByLetter, inc, add, sum, scale, fail, dieHard, allocate, processID, workerProcessID, sleepThenEcho, reportThenSleep, describePoint, pattern, byteAt, checksum,
        pluginReport, squarePlusOne, positions, doubleLater, whereAmI, failLater, failThroughSubtask, failFirstTime, fib, writeMarker, countCalls, publish, holdLock, takeFromQueue,
    ]

    /// The `loom-test-worker` executable, built beside the test bundle.
    public static var workerExecutable: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for directory in [bundle, bundle.deletingLastPathComponent()] {
            let candidate = directory.appendingPathComponent("loom-test-worker").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("loom-test-worker").path
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public struct Point: Codable, Sendable, Equatable, TaskArgument {
    public var x: Double
    public var y: Double
    public var label: String?
    public init(x: Double, y: Double, label: String? = nil) {
        self.x = x
        self.y = y
        self.label = label
    }
}

/// inc on 0..<leaves, then a pairwise tree of adds (an odd element passes through a level).
public func treeSum(leaves: Int) -> Delayed<Int> {
    var level = (0..<leaves).map { TestTasks.inc.delayed($0) }
    while level.count > 1 {
        level = stride(from: 0, to: level.count, by: 2).map {
            $0 + 1 < level.count ? TestTasks.add.delayed(level[$0], level[$0 + 1]) : level[$0]
        }
    }
    return level[0]
}
