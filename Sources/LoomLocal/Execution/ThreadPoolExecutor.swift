import LoomCore
import Synchronization

/// Runs a graph on dedicated threads sharing one ready heap.
///
/// One lock guards the bookkeeping; threads take small batches of the highest-priority ready
/// tasks, run them outside the lock, and report them back in one go. Results live in a flat
/// buffer indexed by task number, read without locking: a task only becomes ready after every
/// result it reads was written and published under the lock.
final class ThreadPoolExecutor: @unchecked Sendable {
    private let graph: TaskGraph
    private let threads: Int
    private let lock = ConditionLock()
    private var state: ExecutionState
    private let results: UnsafeMutablePointer<(any Sendable)?>
    private let inputs: UnsafeMutableBufferPointer<GraphInput>
    private var failure: LoomError?
    /// Checked between tasks of a batch, without the lock, so a failure stops work promptly.
    private let stopping = Atomic<Bool>(false)
    private var sleeping = 0
    private var exited = 0
    private let progress: ProgressCounter?
    private var finish: (@Sendable (Result<ExecutionReport, LoomError>) -> Void)?
    private let started = ContinuousClock.now
    /// Average task duration so far; starts pessimistic, so long tasks are never batched.
    private var secondsPerTask = 1.0

    static let batchSeconds = 50e-6
    static let maximumBatch = 64

    init(graph: TaskGraph, threads: Int, progress: ProgressCounter?) {
        self.graph = graph
        self.threads = max(1, threads)
        self.state = ExecutionState(graph: graph)
        self.progress = progress
        results = .allocate(capacity: graph.count)
        results.initialize(repeating: nil, count: graph.count)
        inputs = .allocate(capacity: graph.inputs.count)
        _ = inputs.initialize(from: graph.inputs)
    }

    deinit {
        results.deinitialize(count: graph.count)
        results.deallocate()
        inputs.deinitialize()
        inputs.deallocate()
    }

    /// Runs the graph and calls `completion` once, after every thread has left it.
    func start(completion: @escaping @Sendable (Result<ExecutionReport, LoomError>) -> Void) {
        finish = completion
        if graph.count == 0 { return completion(.success(report())) }
        WorkerThreads.shared.run(on: threads) { [self] in work() }
    }

    /// Abandons the computation: no new task starts, running ones finish, the error is reported.
    func cancel(_ error: LoomError) {
        lock.withLock { fail(error) }
    }

    private func fail(_ error: LoomError) {
        if failure == nil { failure = error }
        stopping.store(true, ordering: .relaxed)
        lock.broadcast()
    }

    private func work() {
        var batch: [Int32] = []
        batch.reserveCapacity(16)
        lock.lock()
        while failure == nil && !state.isComplete {
            guard !state.ready.isEmpty else {
                sleeping += 1
                lock.wait()
                sleeping -= 1
                continue
            }
            // Batches of about `batchSeconds` of work cut lock traffic for tiny tasks; never more
            // than a fair share, so no thread idles while another sits on ready work.
            let byTime = Int(Self.batchSeconds / max(secondsPerTask, 1e-9))
            let share = max(1, min(Self.maximumBatch, byTime, state.ready.count / threads))
            state.takeReady(share, into: &batch)
            lock.unlock()
            let batchStarted = ContinuousClock.now

            var completed = 0
            var error: LoomError?
            for task in batch {
                if stopping.load(ordering: .relaxed) { break }
                do {
                    var arguments = TaskArguments(graph: graph, task: Int(task), results: results, inputs: UnsafeBufferPointer(inputs))
                    results[Int(task)] = try graph.functions[Int(task)].call(&arguments)
                    completed += 1
                } catch let thrown {
                    error = taskFailure(thrown, graph: graph, task: Int(task))
                    break
                }
            }

            let measured = (ContinuousClock.now - batchStarted).seconds / Double(max(1, completed))
            lock.lock()
            secondsPerTask = 0.9 * secondsPerTask + 0.1 * measured
            state.finish(all: batch[..<completed]) { results[Int($0)] = nil }
            progress?.add(completed)
            batch.removeAll(keepingCapacity: true)
            if let error { fail(error) }
            if sleeping > 0 && (state.ready.count > 1 || state.isComplete) { lock.broadcast() }
        }
        exited += 1
        let last = exited == threads
        lock.unlock()
        if last { complete() }
    }

    private func complete() {
        let outcome: Result<ExecutionReport, LoomError> = failure.map { .failure($0) } ?? .success(report())
        finish?(outcome)
        finish = nil
    }

    private func report() -> ExecutionReport {
        ExecutionReport(
            outputs: graph.outputs.map { results[Int($0)]! },
            tasks: graph.count,
            peakHeldResults: state.peakHeldResults,
            seconds: (ContinuousClock.now - started).seconds)
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) * 1e-18
    }
}
