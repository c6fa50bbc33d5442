import LoomCore
import Synchronization

/// Code that runs inside every worker of this executable, as Dask's `WorkerPlugin`: `setup`
/// when the worker starts (load a model once per worker rather than once per task), `teardown`
/// when it stops, and each task's transitions on the worker.
///
/// ```swift
/// final class Model: WorkerPlugin {
///     let name = "model"
///     let weights = Mutex<[Float]>([])
///     func setup(_ worker: WorkerContext) async throws { weights.withLock { $0 = load() } }
/// }
/// enum Tasks {
///     static let model = Model()
///     static let predict = TaskFunction("predict") { (x: [Float]) in score(x, model.weights.withLock { $0 }) }
/// }
/// try await Loom.bootstrap(registering: Tasks.predict, workerPlugins: [Tasks.model])
/// ```
/// Plugins are registered in each process (`WorkerPlugins.register`, which `Loom.bootstrap`
/// calls), as task functions are, so a worker process built from the same code runs the same
/// ones. `transition` runs on the worker's event loop and holds it up: record and return.
public protocol WorkerPlugin: AnyObject, Sendable {
    /// Unique among the process's worker plugins.
    var name: String { get }
    /// Before the worker joins its scheduler. A plugin that throws stops the worker from
    /// starting, with its error (the nanny reports it).
    func setup(_ worker: WorkerContext) async throws
    /// When the worker stops, also after a failed `setup` of a later plugin.
    func teardown(_ worker: WorkerContext) async
    /// A task on this worker moved from one state to another.
    func transition(key: Key, start: WorkerTaskState, finish: WorkerTaskState)
}

extension WorkerPlugin {
    public func setup(_ worker: WorkerContext) async throws {}
    public func teardown(_ worker: WorkerContext) async {}
    public func transition(key: Key, start: WorkerTaskState, finish: WorkerTaskState) {}
}

/// What a worker plugin knows of its worker.
public struct WorkerContext: Sendable {
    public var name: String
    /// Where peers and clients fetch data from it.
    public var address: String
    public var scheduler: Address
    public var threads: Int
    public var memoryLimit: UInt64
    /// The worker's own directory (spilled values go there; removed when it stops).
    public var localDirectory: String
    /// Calls on other workers over this worker's own connections to them.
    public var peers: PeerCalls
}

/// Registered functions called on another worker beside its tasks, over the connections
/// workers fetch data on (TLS on a TLS cluster), as Dask's worker-to-worker `rpc`: how a
/// plugin's tasks talk to their peers without a port of their own.
public struct PeerCalls: Sendable {
    let pool: PeerPool

    /// `function` on the worker at `address`; throws what it threw there, naming the worker.
    public func run<each Argument: Codable & Sendable, Result: Codable & Sendable>(
        _ function: TaskFunction<repeat each Argument, Result>, _ arguments: repeat each Argument, on address: String
    ) async throws -> Result {
        var encoded: [[UInt8]] = []
        for argument in repeat each arguments { encoded.append(try ValueCodec.encode(argument)) }
        return try Self.decode(Result.self, try await pool.call(function.name, arguments: encoded, on: address), from: address, function: function.name)
    }

    static func decode<Result: Decodable>(_ type: Result.Type, _ value: [UInt8], from worker: String, function: String) throws -> Result {
        do {
            return try ValueCodec.decode(Result.self, from: value)
        } catch {
            throw LoomError(.typeMismatch, "worker \(worker) returned something that does not decode as \(Result.self): \(error)", function: function)
        }
    }
}

/// The worker plugins of this process: every worker it runs sets them up.
public enum WorkerPlugins {
    private static let registered = Mutex<[any WorkerPlugin]>([])

    /// Adds plugins; one whose name is taken replaces the earlier one.
    public static func register(_ plugins: [any WorkerPlugin]) {
        registered.withLock { list in
            for plugin in plugins {
                list.removeAll { $0.name == plugin.name }
                list.append(plugin)
            }
        }
    }

    /// The plugins registered now, in the order they were.
    public static var all: [any WorkerPlugin] { registered.withLock { $0 } }
}
