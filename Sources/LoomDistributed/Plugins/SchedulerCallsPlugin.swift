import LoomCore
import Synchronization

/// What a client asks of the scheduler itself, beside its graph: how far a graph got (a
/// progress bar's count), who holds what (Dask's
/// `has_what`), a function run in the scheduler's process (`run_on_scheduler`), workers retired
/// (`retire_workers`), values copied (`replicate`) or spread evenly (`rebalance`). A plugin
/// every scheduler has.
final class SchedulerCallsPlugin: SchedulerPlugin {
    static let pluginName = "scheduler"
    var name: String { Self.pluginName }
    var observesTransitions: Bool { false }
    private let scheduler = Mutex<SchedulerServer?>(nil)

    func start(_ scheduler: SchedulerServer) async throws { self.scheduler.withLock { $0 = scheduler } }

    func close() async { scheduler.withLock { $0 = nil } }

    func handle(request payload: [UInt8]) async throws -> [UInt8] {
        guard let server = scheduler.withLock({ $0 }) else { throw LoomError(.plugin, "the scheduler is closing") }
        switch try ValueCodec.decode(SchedulerCall.self, from: payload) {
        case .remaining(let keys):
            let keys = keys.map(\.key)
            return try ValueCodec.encode(await server.core.remainingTasks(under: keys))
        case .installSchedulerPlugin(let type, let options):
            try await server.installSchedulerPlugin(type, options: options)
            return []
        case .installWorkerPlugin(let type, let options, let timeout):
            return try ValueCodec.encode(await server.installWorkerPlugin(type, options: options, timeout: .seconds(timeout)))
        case .hasWhat:
            let held = await server.keysByWorker()
            return try ValueCodec.encode(held.mapValues { $0.map(CodableKey.init) })
        case .replicate(let keys, let copies, let timeout):
            return try ValueCodec.encode(await server.replicate(keys.map(\.key), copies: copies, timeout: .seconds(timeout)))
        case .rebalance(let keys, let timeout):
            return try ValueCodec.encode(await server.rebalance(keys?.map(\.key), timeout: .seconds(timeout)))
        case .retire(let workers, let timeout):
            return try ValueCodec.encode(await server.retire(workers: workers, timeout: .seconds(timeout)))
        case .run(let function, let arguments):
            switch await TaskRunner.callOnItsOwnThread(TaskRegistry.shared.function(named: function), named: function, arguments: arguments) {
            case .success(let bytes): return bytes
            case .failure(let failure): throw SchedulerCallFailure(message: failure.message, errorType: failure.errorType)
            }
        }
    }
}

enum SchedulerCall: Codable, Sendable {
    /// How many tasks these keys still wait for (`compute(progress:)` on a cluster).
    case remaining(keys: [CodableKey])
    case hasWhat
    /// Answered with each worker's name and its error ("" when it set the plugin up).
    case installWorkerPlugin(type: String, options: [UInt8], timeoutSeconds: Double)
    case installSchedulerPlugin(type: String, options: [UInt8])
    case run(function: String, arguments: [[UInt8]])
    case retire(workers: [String], timeoutSeconds: Double)
    case rebalance(keys: [CodableKey]?, timeoutSeconds: Double)
    case replicate(keys: [CodableKey], copies: Int, timeoutSeconds: Double)
}

/// A function run on the scheduler threw: its message and type, for the client to raise.
struct SchedulerCallFailure: Error, CustomStringConvertible {
    var message: String
    var errorType: String
    var description: String { "\(errorType): \(message)" }
}

extension SchedulerServer {
    /// Moves values between workers until each holds about the mean; false if the moves did
    /// not all land within `timeout`.
    func rebalance(_ keys: [Key]?, timeout: Duration) async -> Bool {
        apply(core.handle(.rebalance(keys: keys)))
        return await settles(within: timeout) { core.movesInFlight == 0 }
    }

    /// Copies each value to `copies` workers; false if the copies did not all land within `timeout`.
    func replicate(_ keys: [Key], copies: Int, timeout: Duration) async -> Bool {
        apply(core.handle(.replicate(keys: keys, copies: copies)))
        return await settles(within: timeout) { keys.allSatisfy { core.holders(of: $0).count >= copies } }
    }

    /// Waits for what workers report to make `done` true (no one is told when a copy lands).
    func settles(within timeout: Duration, _ done: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !done(), ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return done()
    }

    /// Each worker's address and the keys it holds (Dask's `has_what`).
    func keysByWorker() -> [String: [Key]] {
        Dictionary(core.workerIDs.compactMap { id in core.address(of: id).map { ($0, core.keys(heldBy: id)) } }) { first, _ in first }
    }
}

extension Client {
    /// Each worker's address and the keys whose values it holds, as Dask's `has_what`
    /// (`whoHas` is the other way round).
    public func hasWhat() async throws -> [String: [Key]] {
        try ValueCodec.decode([String: [CodableKey]].self, from: try await schedulerCall(.hasWhat)).mapValues { $0.map(\.key) }
    }

    /// Keeps copies of the futures' values on `n` workers (every worker when `nil`, or when
    /// there are fewer), as Dask's `replicate`: for a value many tasks on many workers read, or
    /// one that should outlive a worker. Waits for the values, then for the copies to be made;
    /// copies beyond `n` stay.
    public func replicate<Value>(_ futures: [Future<Value>], n: Int? = nil, timeout: Duration = .seconds(60)) async throws {
        _ = try await wait(futures, timeout: timeout)
        for future in futures where await future.status != .finished {
            throw await future.error ?? LoomError(.timeout, "the value was not computed within \(timeout)", key: future.key)
        }
        let workers = try await schedulerInfo().count
        let copies = max(1, min(n ?? workers, workers))
        let answer = try await schedulerCall(.replicate(keys: futures.map { CodableKey($0.key) }, copies: copies, timeoutSeconds: timeout / .seconds(1)))
        if try !ValueCodec.decode(Bool.self, from: answer) {
            throw LoomError(.timeout, "the values of \(futures.count) futures were not copied to \(copies) workers within \(timeout)")
        }
    }

    /// Moves values from the workers holding more bytes than the mean to those holding less,
    /// as Dask's `rebalance`, and waits for the moves; values on one worker only move too.
    public func rebalance(timeout: Duration = .seconds(60)) async throws {
        try await rebalance(keys: nil, timeout: timeout)
    }

    /// Rebalances only the values of these futures.
    public func rebalance<Value>(_ futures: [Future<Value>], timeout: Duration = .seconds(60)) async throws {
        try await rebalance(keys: futures.map(\.key), timeout: timeout)
    }

    private func rebalance(keys: [Key]?, timeout: Duration) async throws {
        let answer = try await schedulerCall(.rebalance(keys: keys?.map(CodableKey.init), timeoutSeconds: timeout / .seconds(1)))
        let landed = try ValueCodec.decode(Bool.self, from: answer)
        if !landed { throw LoomError(.timeout, "the values a rebalance moves did not all land within \(timeout)") }
    }

    /// Retires workers gracefully, as Dask's `retire_workers`: they take no new work, the values
    /// only they hold are copied to the others, then they close (their nannies with them).
    /// `workers` are names or addresses; returns the names of those retired — a worker whose
    /// values found nowhere to go within `timeout` stays.
    @discardableResult
    public func retireWorkers(_ workers: [String], timeout: Duration = .seconds(30)) async throws -> [String] {
        let known = try await schedulerInfo()
        let names = try workers.map { worker in
            guard let match = known.first(where: { $0.name == worker || $0.address == worker }) else {
                throw LoomError(.invalidArgument, "no worker named or at '\(worker)' (workers: \(known.map(\.name).sorted().joined(separator: ", ")))")
            }
            return match.name
        }
        return try ValueCodec.decode([String].self, from: try await schedulerCall(.retire(workers: names, timeoutSeconds: timeout / .seconds(1))))
    }

    /// Calls `function` in the scheduler's process, as Dask's `run_on_scheduler`: for a look at
    /// the process itself (its memory, its files, its environment). The function must be
    /// registered there too (`Loom.bootstrap(registering:)` in the program that runs it).
    public func runOnScheduler<each Argument: Codable & Sendable, Result: Codable & Sendable>(
        _ function: TaskFunction<repeat each Argument, Result>, _ arguments: repeat each Argument
    ) async throws -> Result {
        var encoded: [[UInt8]] = []
        for argument in repeat each arguments { encoded.append(try ValueCodec.encode(argument)) }
        let answer = try await schedulerCall(.run(function: function.name, arguments: encoded))
        do {
            return try ValueCodec.decode(Result.self, from: answer)
        } catch {
            throw LoomError(.typeMismatch, "what '\(function.name)' answered on the scheduler does not decode as \(Result.self): \(error)",
                            function: function.name, underlying: error)
        }
    }

    /// How many tasks the values of `keys` still wait for, themselves included.
    func remainingTasks(under keys: [Key]) async throws -> Int {
        try ValueCodec.decode(Int.self, from: try await schedulerCall(.remaining(keys: keys.map(CodableKey.init))))
    }

    private func schedulerCall(_ call: SchedulerCall) async throws -> [UInt8] {
        try await pluginRequest(SchedulerCallsPlugin.pluginName, payload: try ValueCodec.encode(call))
    }
}
