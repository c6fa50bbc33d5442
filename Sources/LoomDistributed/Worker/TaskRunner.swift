import Foundation
import LoomCore
import LoomLocal

/// Runs tasks on dedicated threads and reports each outcome on an async stream.
///
/// Tasks run off Swift's cooperative pool so one that blocks never stalls the worker's network
/// handling. Functions are found by name in the registry `Loom.bootstrap` filled.
final class TaskRunner: Sendable {
    struct Outcome: Sendable {
        let key: Key
        let result: Result<[UInt8], TaskRunFailure>
        let seconds: Double
        var timing = TaskTiming()
    }

    struct TaskRunFailure: Error, Sendable {
        let message: String
    }

    let outcomes: AsyncStream<Outcome>
    private let continuation: AsyncStream<Outcome>.Continuation
    private let queue: JobQueue
    private let registry: TaskRegistry

    init(threads: Int, registry: TaskRegistry = .shared) {
        (outcomes, continuation) = AsyncStream.makeStream(of: Outcome.self)
        self.registry = registry
        let queue = JobQueue()
        self.queue = queue
        for index in 0..<max(1, threads) {
            _ = DedicatedThread(name: "loom-task-\(index)") { [continuation, registry] in
                while let job = queue.next() {
                    continuation.yield(Self.run(job.task, arguments: job.arguments, thread: index, registry: registry))
                }
            }
        }
    }

    func submit(_ task: WireTask, arguments: [[UInt8]]) {
        queue.push(Job(task: task, arguments: arguments))
    }

    /// Takes back a submitted task no thread has started; false if one has.
    func withdraw(_ key: Key) -> Bool {
        queue.remove { $0.task.key == key }
    }

    /// Lets the threads finish what they run and exit; ends the outcome stream.
    func shutDown() {
        queue.close()
        continuation.finish()
    }

    /// Calls `function` once on a thread of its own, beside the task threads (`Client.run`).
    func call(_ function: String, arguments: [[UInt8]]) async -> Result<[UInt8], TaskRunFailure> {
        await withCheckedContinuation { continuation in
            _ = DedicatedThread(name: "loom-run") { [registry] in
                continuation.resume(returning: Self.call(function, arguments: arguments, registry: registry))
            }
        }
    }

    private static func run(_ task: WireTask, arguments: [[UInt8]], thread: Int, registry: TaskRegistry) -> Outcome {
        let startedAt = Date().timeIntervalSince1970
        let started = ContinuousClock.now
        var serialization = 0.0
        let result = call(task.function, arguments: arguments, registry: registry, serialization: &serialization)
        return Outcome(
            key: task.key, result: result, seconds: (ContinuousClock.now - started) / .seconds(1),
            timing: TaskTiming(startedAt: startedAt, thread: thread, serializationSeconds: serialization))
    }

    private static func call(_ name: String, arguments: [[UInt8]], registry: TaskRegistry) -> Result<[UInt8], TaskRunFailure> {
        var serialization = 0.0
        return call(name, arguments: arguments, registry: registry, serialization: &serialization)
    }

    private static func call(_ name: String, arguments: [[UInt8]], registry: TaskRegistry, serialization: inout Double)
        -> Result<[UInt8], TaskRunFailure>
    {
        guard let function = registry.function(named: name) else {
            return .failure(TaskRunFailure(message: "function '\(name)' is not registered in this worker; call Loom.bootstrap(registering:) with it"))
        }
        do {
            return .success(try withSlices(arguments) { slices in
                var encoded = EncodedArguments(slices, function: function.name)
                defer { serialization = encoded.serializationSeconds }
                return try function.callEncoded(&encoded)
            })
        } catch {
            return .failure(TaskRunFailure(message: (error as? LoomError)?.message ?? String(describing: error)))
        }
    }

    /// Borrows every argument's bytes at once, for as long as the call runs.
    private static func withSlices<R>(_ arguments: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        func borrow(_ index: Int, _ slices: inout [UnsafeRawBufferPointer]) throws -> R {
            guard index < arguments.count else { return try body(slices) }
            return try arguments[index].withUnsafeBytes { raw in
                slices.append(raw)
                return try borrow(index + 1, &slices)
            }
        }
        var slices: [UnsafeRawBufferPointer] = []
        return try borrow(0, &slices)
    }

    private struct Job: Sendable {
        let task: WireTask
        let arguments: [[UInt8]]
    }

    /// Jobs for the threads, first in first out (the worker state already ordered them).
    private final class JobQueue: @unchecked Sendable {
        private let lock = ConditionLock()
        /// One stored property, so each operation is one exclusivity-checked access, not several.
        private var pending = Pending()

        /// The queued jobs. Taken jobs are set to nil at once: a finished task must not keep its
        /// arguments alive.
        private struct Pending {
            var jobs: [Job?] = []
            var head = 0
            var closed = false

            var isEmpty: Bool { head == jobs.count }

            mutating func take() -> Job {
                let job = jobs[head]!
                jobs[head] = nil
                head += 1
                if head > 1024 && head * 2 > jobs.count {
                    jobs.removeFirst(head)
                    head = 0
                }
                return job
            }

            mutating func remove(where isTarget: (Job) -> Bool) -> Bool {
                guard let index = jobs[head...].firstIndex(where: { $0.map(isTarget) ?? false }) else { return false }
                jobs.remove(at: index)
                return true
            }
        }

        func push(_ job: Job) {
            lock.withLock {
                pending.jobs.append(job)
                lock.broadcast()
            }
        }

        /// Removes the first queued job matching `isTarget`; false if none is queued.
        func remove(where isTarget: (Job) -> Bool) -> Bool {
            lock.withLock { pending.remove(where: isTarget) }
        }

        func close() {
            lock.withLock {
                pending.closed = true
                lock.broadcast()
            }
        }

        func next() -> Job? {
            lock.lock()
            defer { lock.unlock() }
            while pending.isEmpty {
                if pending.closed { return nil }
                lock.wait()
            }
            return pending.take()
        }
    }
}
