import Foundation
import LoomCore
import LoomLocal
import Synchronization

/// Runs tasks on dedicated threads and reports each outcome on an async stream.
///
/// Tasks run off Swift's cooperative pool so one that blocks never stalls the worker's network
/// handling. Functions are found by name in the registry `Loom.bootstrap` filled.
///
/// An async body starts as a Swift task instead, holding one of the `threads` slots until it
/// ends or secedes (`TaskContext`), so no thread waits while it awaits.
final class TaskRunner: Sendable {
    enum Report: Sendable {
        case finished(Outcome)
        /// The running task gave its slot back (`TaskContext.client()`/`secede()`).
        case seceded(Key)
    }

    struct Outcome: Sendable {
        let key: Key
        let result: Result<[UInt8], TaskRunFailure>
        let seconds: Double
        var timing = TaskTiming()
    }

    struct TaskRunFailure: Error, Sendable {
        let message: String
        /// The type of the error the task threw (a failure it passed on keeps its own type).
        let errorType: String

        init(message: String) {
            self.message = message
            errorType = "LoomError"
        }

        init(_ error: any Error) {
            if let error = error as? LoomError {
                message = error.message
                errorType = error.remoteType ?? "LoomError"
            } else {
                message = String(describing: error)
                errorType = String(describing: type(of: error))
            }
        }
    }

    let reports: AsyncStream<Report>
    private let continuation: AsyncStream<Report>.Continuation
    private let queue: JobQueue
    private let registry: TaskRegistry

    /// `worker` names the worker in `TaskContext`; `client` makes the client tasks share.
    init(threads: Int, registry: TaskRegistry = .shared, worker: String = "worker",
         client: @escaping @Sendable () async throws -> Client = { throw LoomError(.unsupported, "this worker gives its tasks no client") }) {
        (reports, continuation) = AsyncStream.makeStream(of: Report.self)
        self.registry = registry
        let slots = max(1, threads)
        let queue = JobQueue(slots: slots)
        self.queue = queue
        let launch = AsyncLaunch(queue: queue, reports: continuation, worker: worker, client: client)
        for index in 0..<slots {
            _ = DedicatedThread(name: "loom-task-\(index)") { [continuation, registry] in
                var ranOne = false
                while let job = queue.next(endingOne: ranOne) {
                    let function = registry.function(named: job.task.function)
                    if let function, function.isAsync {
                        // It keeps its slot until it ends or secedes; this thread is free now.
                        launch.start(job, function, thread: index)
                        ranOne = false
                    } else {
                        continuation.yield(.finished(Self.run(job.task, function, arguments: job.arguments, thread: index)))
                        ranOne = true
                    }
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
        await Self.callOnItsOwnThread(registry.function(named: function), named: function, arguments: arguments)
    }

    /// Calls the registered function `function` in the calling task, awaiting an async body
    /// (an actor's method, run by its mailbox).
    func callAwaiting(_ function: String, arguments: [[UInt8]]) async -> Result<[UInt8], TaskRunFailure> {
        guard let found = registry.function(named: function) else { return .failure(Self.notRegistered(function)) }
        do {
            let call = try Self.withSlices(arguments) { slices in
                var encoded = EncodedArguments(slices, function: found.name)
                return try found.prepareCall(&encoded)
            }
            return .success(try await call().bytes)
        } catch {
            return .failure(TaskRunFailure(error))
        }
    }

    private static func notRegistered(_ name: String) -> TaskRunFailure {
        TaskRunFailure(message: "function '\(name)' is not registered in this process; call Loom.bootstrap(registering:) with it")
    }

    /// Calls a registered function (`nil`: none of that name) on a thread of its own, as
    /// `Client.run` does on workers and `Client.runOnScheduler` on the scheduler.
    static func callOnItsOwnThread(_ function: AnyTaskFunction?, named name: String, arguments: [[UInt8]]) async
        -> Result<[UInt8], TaskRunFailure>
    {
        await withCheckedContinuation { continuation in
            _ = DedicatedThread(name: "loom-run") {
                var serialization = 0.0
                continuation.resume(returning: call(function, named: name, arguments: arguments, serialization: &serialization))
            }
        }
    }

    /// `function` is the one registered under the task's function name, if any.
    private static func run(_ task: WireTask, _ function: AnyTaskFunction?, arguments: [[UInt8]], thread: Int) -> Outcome {
        let startedAt = Date().timeIntervalSince1970
        let started = ContinuousClock.now
        var serialization = 0.0
        let result = call(function, named: task.function, arguments: arguments, serialization: &serialization)
        return Outcome(
            key: task.key, result: result, seconds: (ContinuousClock.now - started) / .seconds(1),
            timing: TaskTiming(startedAt: startedAt, thread: thread, serializationSeconds: serialization))
    }

    private static func call(_ function: AnyTaskFunction?, named name: String, arguments: [[UInt8]], serialization: inout Double)
        -> Result<[UInt8], TaskRunFailure>
    {
        guard let function else { return .failure(notRegistered(name)) }
        do {
            return .success(try withSlices(arguments) { slices in
                var encoded = EncodedArguments(slices, function: function.name)
                defer { serialization = encoded.serializationSeconds }
                return try function.callEncoded(&encoded)
            })
        } catch {
            return .failure(TaskRunFailure(error))
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

    /// Starts async bodies as Swift tasks, each with its `TaskContext` bound.
    private struct AsyncLaunch: Sendable {
        let queue: JobQueue
        let reports: AsyncStream<Report>.Continuation
        let worker: String
        let client: @Sendable () async throws -> Client

        func start(_ job: Job, _ function: AnyTaskFunction, thread: Int) {
            let key = job.task.key
            let startedAt = Date().timeIntervalSince1970
            let started = ContinuousClock.now
            let call: AnyTaskFunction.AsyncCall
            var decodingSeconds = 0.0
            do {
                call = try TaskRunner.withSlices(job.arguments) { slices in
                    var encoded = EncodedArguments(slices, function: function.name)
                    defer { decodingSeconds = encoded.serializationSeconds }
                    return try function.prepareCall(&encoded)
                }
            } catch {
                queue.endOne()
                reports.yield(.finished(Outcome(key: key, result: .failure(TaskRunFailure(error)), seconds: 0)))
                return
            }
            let slot = Slot(queue: queue)
            let context = TaskContext(
                key: key, worker: worker,
                giveBackSlot: { [reports] in if slot.giveBack() { reports.yield(.seceded(key)) } },
                makeClient: client)
            let (reports, decoding) = (reports, decodingSeconds)
            Task {
                let result: Result<[UInt8], TaskRunFailure>
                var encodingSeconds = 0.0
                do {
                    let (bytes, encoding) = try await TaskContext.$bound.withValue(context) { try await call() }
                    result = .success(bytes)
                    encodingSeconds = encoding
                } catch {
                    result = .failure(TaskRunFailure(error))
                }
                _ = slot.giveBack()
                reports.yield(.finished(Outcome(
                    key: key, result: result, seconds: (ContinuousClock.now - started) / .seconds(1),
                    timing: TaskTiming(startedAt: startedAt, thread: thread, serializationSeconds: decoding + encodingSeconds))))
            }
        }
    }

    /// An async task's hold on a thread slot, given back once: when it secedes or ends.
    private final class Slot: Sendable {
        private let queue: JobQueue
        private let held = Atomic<Bool>(true)

        init(queue: JobQueue) { self.queue = queue }

        /// Whether this call gave it back (false once it was).
        func giveBack() -> Bool {
            guard held.exchange(false, ordering: .acquiringAndReleasing) else { return false }
            queue.endOne()
            return true
        }
    }

    private struct Job: Sendable {
        let task: WireTask
        let arguments: [[UInt8]]
    }

    /// Jobs for the threads, first in first out (the worker state already ordered them), one
    /// per free slot: a thread holds one while it runs a job, an async job until it ends or
    /// secedes.
    private final class JobQueue: @unchecked Sendable {
        private let lock = ConditionLock()
        /// One stored property, so each operation is one exclusivity-checked access, not several.
        private var pending = Pending()
        private let slots: Int

        init(slots: Int) { self.slots = slots }

        /// The queued jobs. Taken jobs are set to nil at once: a finished task must not keep its
        /// arguments alive.
        private struct Pending {
            var jobs: [Job?] = []
            var head = 0
            var closed = false
            /// Slots held: jobs running on threads, and async jobs not ended or seceded.
            var busy = 0

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

        /// The next job once a slot is free; `endingOne` gives back the slot of the job this
        /// thread just ran, in the same turn of the lock (the synchronous fast path).
        func next(endingOne: Bool) -> Job? {
            lock.lock()
            defer { lock.unlock() }
            if endingOne { pending.busy -= 1 }
            while pending.isEmpty || pending.busy >= slots {
                if pending.closed { return nil }
                lock.wait()
            }
            pending.busy += 1
            return pending.take()
        }

        /// An async job's slot is free again.
        func endOne() {
            lock.withLock {
                pending.busy -= 1
                lock.broadcast()
            }
        }
    }
}
