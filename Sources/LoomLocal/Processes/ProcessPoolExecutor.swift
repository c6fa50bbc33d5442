import Foundation
import LoomCore

/// Runs a graph on worker processes started from a Loom executable (by default this one).
///
/// The parent keeps the bookkeeping and every result, encoded; workers get batches of ready
/// tasks with their encoded arguments and send back batches of encoded results. Each worker has
/// a sender thread (keeps up to two batches in flight, so the worker never waits on the parent)
/// and a reader thread (records results, reaps the worker if it dies).
final class ProcessPoolExecutor: @unchecked Sendable {
    private let graph: TaskGraph
    private let processes: Int
    private let executable: String
    private let progress: ProgressCounter?
    private let lock = ConditionLock()
    private var state: ExecutionState
    /// Each task's encoded result while something still reads it (a buffer, not an array
    /// property: the threads touch it per task, and a property's every access is checked).
    private let results: UnsafeMutablePointer<[UInt8]?>
    private var failure: LoomError?
    private var workers: [WorkerProcess] = []
    /// The batches each worker has been sent and not yet answered, oldest first.
    private var inFlight: [[[Int32]]] = []
    /// Measured seconds per task, to size batches to about `batchSeconds` of work.
    private var secondsPerTask: Double?
    private var shuttingDown = false
    /// Arguments of every task, literals already encoded.
    private var wireInputs: [WireInput] = []
    private var functionIndex: [Int] = []
    private let started = ContinuousClock.now

    static let batchSeconds = 0.002
    static let maximumBatch = 512
    static let helloTimeout = 20.0

    private enum WireInput {
        case bytes([UInt8])
        case dependency(Int32)
        case list([WireInput])
    }

    init(graph: TaskGraph, processes: Int, executable: String, progress: ProgressCounter?) {
        self.graph = graph
        self.processes = max(1, processes)
        self.executable = executable
        self.progress = progress
        self.state = ExecutionState(graph: graph)
        results = .allocate(capacity: graph.count)
        results.initialize(repeating: nil, count: graph.count)
    }

    deinit {
        results.deinitialize(count: graph.count)
        results.deallocate()
    }

    /// Runs the graph to completion or first failure; blocks the calling thread.
    func run() throws(LoomError) -> ExecutionReport {
        signal(SIGPIPE, SIG_IGN)  // a dead worker's pipe must give an error, not kill the parent
        if ProcessWorker.wasStartedAsWorker {
            throw LoomError(
                .unsupported,
                "this process was started as a Loom worker but did not call Loom.bootstrap(registering:) before computing; call it first in main")
        }
        let functions = try prepare()
        do {
            try startWorkers(functions: functions)
        } catch {
            shutDown(killing: true)
            for worker in workers {
                worker.closeTasks()
                _ = worker.reap()  // no reader threads yet to reap them
            }
            throw error
        }
        let readers = workers.indices.map { worker in
            DedicatedThread(name: "loom-read-\(worker)") { [self] in readResults(from: worker) }
        }
        let senders = workers.indices.map { worker in
            DedicatedThread(name: "loom-send-\(worker)") { [self] in sendBatches(to: worker) }
        }
        lock.withLock {
            while failure == nil && !state.isComplete { lock.wait() }
        }
        // Senders first, so no write races the closing of a task pipe.
        shutDown(killing: failure != nil)
        senders.forEach { $0.join() }
        workers.forEach { $0.closeTasks() }
        readers.forEach { $0.join() }
        if let failure { throw failure }
        return ExecutionReport(
            outputs: try decodedOutputs(), tasks: graph.count, peakHeldResults: state.peakHeldResults,
            seconds: (ContinuousClock.now - started).seconds)
    }

    func cancel(_ error: LoomError) {
        lock.withLock { fail(error) }
    }

    private func fail(_ error: LoomError) {
        if failure == nil { failure = error }
        lock.broadcast()
    }

    /// Checks every task can run in another process and encodes the literal arguments once.
    /// Returns the distinct function names, which batches refer to by position.
    private func prepare() throws(LoomError) -> [AnyTaskFunction] {
        var functions: [AnyTaskFunction] = []
        var positions: [ObjectIdentifier: Int] = [:]
        for task in 0..<graph.count {
            let function = graph.functions[task]
            guard function.runsInOtherProcesses else {
                throw LoomError(
                    .unsupported,
                    "the process scheduler cannot run '\(function.name)': it is a local closure; use a registered TaskFunction or the thread scheduler",
                    key: graph.keys[task], function: function.name)
            }
            if let position = positions[ObjectIdentifier(function)] {
                functionIndex.append(position)
            } else {
                positions[ObjectIdentifier(function)] = functions.count
                functionIndex.append(functions.count)
                functions.append(function)
            }
        }
        func wire(_ input: GraphInput, task: Int) throws(LoomError) -> WireInput {
            switch input {
            case .dependency(let dependency): return .dependency(dependency)
            case .existing(let key):
                throw LoomError(
                    .unsupported, "'\(key)' is a future of a distributed client; compute this graph on that client",
                    key: graph.keys[task], function: graph.functions[task].name)
            case .list(let parts):
                var converted: [WireInput] = []
                for part in parts { converted.append(try wire(part, task: task)) }
                return .list(converted)
            case .literal(let value):
                guard let encodable = value as? any Encodable else {
                    throw LoomError(
                        .unsupported, "an argument of type \(type(of: value)) is not Encodable, so it cannot be sent to a worker process",
                        key: graph.keys[task], function: graph.functions[task].name)
                }
                do {
                    return .bytes(try ValueCodec.encode(encodable))
                } catch {
                    throw LoomError(.unsupported, "an argument does not encode: \(error)", key: graph.keys[task], function: graph.functions[task].name)
                }
            }
        }
        wireInputs.reserveCapacity(graph.inputs.count)
        for task in 0..<graph.count {
            for input in graph.inputs[graph.inputRange(of: task)] { wireInputs.append(try wire(input, task: task)) }
        }
        return functions
    }

    /// Starts the workers, checks each has every function the graph uses, sends the function table.
    private func startWorkers(functions: [AnyTaskFunction]) throws(LoomError) {
        let needed = Dictionary(functions.map { ($0.name, $0.signature) }, uniquingKeysWith: { first, _ in first })
        for _ in 0..<processes {
            do {
                workers.append(try WorkerProcess(executable: executable))
            } catch let error as LoomError {
                throw error
            } catch {
                throw LoomError(.workerDied, "cannot start worker executable \(executable): \(error)")
            }
            inFlight.append([])
        }
        for worker in workers {
            let hello: PoolProtocol.Hello
            do {
                guard let payload = try worker.results.next(timeout: Self.helloTimeout) else {
                    throw LoomError(
                        .workerDied,
                        "worker process \(worker.pid) (\(executable)) \(worker.reap()) before answering; does its main call Loom.bootstrap(registering:) first?")
                }
                hello = try PoolProtocol.decodeHello(payload)
            } catch let error as LoomError {
                throw error
            } catch FrameReader.ReadError.timedOut {
                throw LoomError(
                    .workerDied,
                    "worker process \(worker.pid) (\(executable)) did not answer within \(Int(Self.helloTimeout)) s; does its main call Loom.bootstrap(registering:) first?")
            } catch {
                throw LoomError(.workerDied, "worker process \(worker.pid) (\(executable)) sent a bad greeting: \(error)")
            }
            guard hello.version == PoolProtocol.version else {
                throw LoomError(.registry, "worker executable \(executable) speaks protocol \(hello.version), this process \(PoolProtocol.version); rebuild both from the same code")
            }
            if let mismatch = TaskRegistry.mismatch(needed: needed, available: hello.signatures, where: "worker executable \(executable)") {
                throw LoomError(.registry, mismatch + " (register functions with Loom.bootstrap(registering:))")
            }
            var table = PoolProtocol.encode(functions: functions.map(\.name))
            do {
                try Frame.write(&table, to: worker.taskDescriptor)
            } catch {
                throw LoomError(.workerDied, "worker process \(worker.pid) stopped reading: \(error)")
            }
        }
    }

    private func sendBatches(to worker: Int) {
        var batch: [Int32] = []
        lock.lock()
        while failure == nil && !shuttingDown && !state.isComplete {
            guard canSend(to: worker) else {
                lock.wait()
                continue
            }
            let perTask = secondsPerTask ?? Self.batchSeconds
            let byTime = Int(Self.batchSeconds / max(perTask, 1e-9))
            let fairShare = (state.ready.count + 2 * processes - 1) / (2 * processes)
            let size = max(1, min(Self.maximumBatch, byTime, fairShare))
            state.takeReady(size, into: &batch)
            inFlight[worker].append(batch)
            var frame = Frame.builder(capacity: 32 * size)
            frame.writeUInt8(PoolProtocol.Kind.batch.rawValue)
            frame.writeVarUInt(UInt64(batch.count))
            let functionIndex = self.functionIndex, wireInputs = self.wireInputs
            for task in batch {
                PoolProtocol.appendTask(
                    task, function: functionIndex[Int(task)],
                    arguments: graph.inputRange(of: Int(task)).map { argument(wireInputs[$0]) }, to: &frame)
            }
            batch.removeAll(keepingCapacity: true)
            let descriptor = workers[worker].taskDescriptor
            lock.unlock()
            // A failed write means the worker died; its reader reports how.
            try? Frame.write(&frame, to: descriptor)
            lock.lock()
        }
        lock.unlock()
    }

    /// A worker gets a batch when it has none, and a second one (so it never waits for the
    /// parent) only when that leaves ready work for every idle worker. Lock held.
    private func canSend(to worker: Int) -> Bool {
        switch inFlight[worker].count {
        case 0: return !state.ready.isEmpty
        case 1: return state.ready.count > inFlight.lazy.filter(\.isEmpty).count
        default: return false
        }
    }

    private func argument(_ input: WireInput) -> PoolProtocol.Argument {
        switch input {
        case .bytes(let bytes): .bytes(bytes)
        case .dependency(let task): .bytes(results[Int(task)]!)
        case .list(let parts): .list(parts.map(argument))
        }
    }

    private func readResults(from worker: Int) {
        let process = workers[worker]
        while true {
            let payload: [UInt8]?
            do {
                payload = try process.results.next()
            } catch {
                lock.withLock { fail(LoomError(.workerDied, "worker process \(process.pid) sent a bad frame: \(error)")) }
                process.kill()
                break
            }
            guard let payload else { break }
            let decoded: (results: [PoolProtocol.Result], seconds: Double)
            do {
                decoded = try PoolProtocol.decodeResults(payload)
            } catch {
                lock.withLock { fail(LoomError(.workerDied, "worker process \(process.pid) sent bad results: \(error)")) }
                process.kill()
                break
            }
            lock.withLock { record(decoded.results, seconds: decoded.seconds, from: worker) }
        }
        let ending = process.reap()
        lock.withLock {
            guard !shuttingDown && failure == nil && !state.isComplete else { return }
            fail(deathError(of: process, ending: ending, worker: worker))
        }
    }

    /// Stores a batch's results and wakes what they make ready. Lock held.
    private func record(_ batchResults: [PoolProtocol.Result], seconds: Double, from worker: Int) {
        guard !inFlight[worker].isEmpty else { return }
        let batch = inFlight[worker].removeFirst()
        let measured = seconds / Double(max(1, batchResults.count))
        secondsPerTask = secondsPerTask.map { 0.8 * $0 + 0.2 * measured } ?? measured
        let succeeded = batchResults.firstIndex { !$0.succeeded } ?? batchResults.count
        for (task, result) in zip(batch, batchResults[..<succeeded]) { results[Int(task)] = result.bytes }
        state.finish(all: batch.prefix(succeeded)) { results[Int($0)] = nil }
        if succeeded < batchResults.count, succeeded < batch.count {
            let task = Int(batch[succeeded])
            fail(LoomError(.taskFailed, String(decoding: batchResults[succeeded].bytes, as: UTF8.self),
                           key: graph.keys[task], function: graph.functions[task].name))
            return
        }
        progress?.add(batchResults.count)
        lock.broadcast()
    }

    private func deathError(of process: WorkerProcess, ending: String, worker: Int) -> LoomError {
        let batch = inFlight[worker].first ?? []
        if let running = process.runningTask, batch.contains(Int32(running)) {
            return LoomError(
                .workerDied, "worker process \(process.pid) \(ending) while running this task",
                key: graph.keys[running], function: graph.functions[running].name)
        }
        return LoomError(.workerDied, "worker process \(process.pid) \(ending) between tasks")
    }

    /// Stops sending; after a failure also kills the workers at once. On success they exit
    /// when their task pipe closes. Reader threads reap them.
    private func shutDown(killing: Bool) {
        lock.withLock {
            shuttingDown = true
            lock.broadcast()
        }
        if killing { workers.forEach { $0.kill() } }
    }

    private func decodedOutputs() throws(LoomError) -> [any Sendable] {
        var outputs: [any Sendable] = []
        for task in graph.outputs.map(Int.init) {
            do {
                outputs.append(try results[task]!.withUnsafeBytes { try graph.functions[task].decodeResult($0) })
            } catch {
                throw LoomError(.typeMismatch, "the result does not decode: \(error)", key: graph.keys[task], function: graph.functions[task].name)
            }
        }
        return outputs
    }
}
