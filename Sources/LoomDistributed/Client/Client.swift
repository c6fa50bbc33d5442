import Foundation
import LoomCore
import LoomLocal
import Logging
import NIOCore
import Synchronization

/// A connection to a Loom scheduler: submit tasks, get futures, gather results.
///
/// ```swift
/// let client = try await Client(address: "tcp://127.0.0.1:8786")
/// let futures = try await client.map(Tasks.inc, Array(0..<1000))
/// let total = try await client.gather(futures).reduce(0, +)
/// ```
/// Results stay on the workers until asked for and are fetched straight from them. A future
/// whose last Swift reference goes away releases its key: the scheduler forgets it and the
/// worker frees the memory.
public final class Client: Sendable {
    public let schedulerAddress: Address
    let connection: ClientConnection
    /// Talks to the scheduler (and reconnects) until `close()`.
    private let runSession: @Sendable () async -> Void
    /// Runs `runSession` for a client made by `init` (not by `withClient`); `close()` ends it.
    private let session: Task<Void, Never>?
    /// The outcome of the handshake, once.
    private let ready: AsyncStream<Result<Void, any Error>>
    /// Keys whose last future went away, released in batches.
    private let releases = BatchQueue<Key>()
    /// Requests started without waiting (`fireAndForget`) that `close()` lets finish first.
    let sendsBeforeClosing = PendingSends()
    /// The worker this client lives in, for a task's client (`TaskContext.client()`): values it
    /// holds are read from its memory instead of over a connection to itself.
    let localHolder = Mutex<LocalHolder?>(nil)

    struct LocalHolder: Sendable {
        let address: String
        let values: @Sendable ([Key]) async -> (values: [Key: [UInt8]], missing: [Key])
    }
    /// Connections to the workers results are fetched from.
    let peers: PeerPool
    let name: String
    /// The TLS settings this client connects with (nil: plain TCP).
    public let security: Security?

    /// - Parameters:
    ///   - security: TLS for the scheduler and the workers (`tls://` addresses); by default
    ///     what the configuration says (`comm.tls.*`, `comm.require-encryption`).
    ///   - reconnectTimeout: how long to try reconnecting when the connection drops; the
    ///     scheduler keeps this client's work meanwhile (its `clientTimeout`).
    ///   - timeout: how long to keep trying to reach a scheduler not (yet) answering, as
    ///     Dask's `Client(timeout=)` does (one start-up racing another); by default one try.
    ///   - setAsDefault: whether `compute()` without a scheduler runs on this client's cluster
    ///     from now on (Dask's `set_as_default`): the newest client is the default.
    public convenience init(address: Address, security: Security? = nil, timeout: Duration? = nil, reconnectTimeout: Duration = .seconds(10),
                            setAsDefault: Bool = true) async throws {
        try await self.init(connectingTo: address, security: security, timeout: timeout, reconnectTimeout: reconnectTimeout, ownsSession: true)
        try await handshake()
        if setAsDefault { DefaultGraphRunner.set(self) }
    }

    /// A worker's client for its tasks (`TaskContext.client()`): the scheduler learns the
    /// worker it lives in (`workerAddress`), so what it holds goes at once when that worker dies.
    convenience init(address: Address, security: Security?, onWorker workerAddress: String) async throws {
        try await self.init(connectingTo: address, security: security, reconnectTimeout: .seconds(10), ownsSession: true,
                            workerAddress: workerAddress)
        try await handshake()
    }

    /// Connects; with `ownsSession` the session runs in a task of the client's own (the
    /// init/`close()` lifetime has no scope to run it in), else `withClient` runs `runSession`.
    private init(connectingTo address: Address, security: Security?, timeout: Duration? = nil, reconnectTimeout: Duration,
                 ownsSession: Bool, workerAddress: String = "") async throws {
        schedulerAddress = address
        let name = "client-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        self.name = name
        let security = try security ?? Security.configured(try Configuration.current)
        self.security = security
        let transport = try security.map { try TransportSecurity($0, role: .client) }
        let peers = PeerPool(name: name, security: transport)
        self.peers = peers
        let channel = try await Self.connect(to: address, security: transport, timeout: timeout)
        let releases = releases
        let connection = ClientConnection()
        self.connection = connection
        let (ready, announce) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        self.ready = ready
        let runSession: @Sendable () async -> Void = {
            await withDiscardingTaskGroup { group in
                group.addTask { await peers.run() }
                group.addTask {
                    await Self.serve(
                        first: channel, connection, address: address, security: transport, name: name, workerAddress: workerAddress,
                        reconnectTimeout: reconnectTimeout, announce: announce)
                    announce.finish()
                    releases.finish()
                }
                for await keys in releases.batches { await connection.release(keys) }
                peers.close()
                group.cancelAll()
            }
        }
        self.runSession = runSession
        session = ownsSession ? Task { await runSession() } : nil
    }

    /// Waits for the scheduler's welcome (or its refusal, thrown).
    private func handshake() async throws {
        var iterator = ready.makeAsyncIterator()
        guard let outcome = await iterator.next() else {
            throw TransportError("the connection to \(schedulerAddress) ended during the handshake")
        }
        try outcome.get()
    }

    /// `withClient`'s: a client whose session runs in the caller's task group.
    static func scoped<T>(
        address: Address, security: Security?, reconnectTimeout: Duration, setAsDefault: Bool, _ body: (Client) async throws -> T
    ) async throws -> T {
        let client = try await Client(connectingTo: address, security: security, reconnectTimeout: reconnectTimeout, ownsSession: false)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.runSession() }
            do {
                try await client.handshake()
                if setAsDefault { DefaultGraphRunner.set(client) }
                let result = try await body(client)
                await client.close()
                return result
            } catch {
                await client.close()
                throw error
            }
        }
    }

    /// Talks to the scheduler until the client closes; when the connection drops, connects
    /// again (as the same client) until `reconnectTimeout` runs out.
    private static func serve(first: FrameChannel, _ connection: ClientConnection, address: Address, security: TransportSecurity?, name: String, workerAddress: String,
                              reconnectTimeout: Duration, announce: AsyncStream<Result<Void, any Error>>.Continuation) async {
        var channel: FrameChannel? = first
        var handshaken = false
        var reason = "the scheduler closed the connection"
        /// When reconnecting must have succeeded by: from the first drop, across failed tries.
        var deadline: ContinuousClock.Instant?
        while let current = channel {
            var welcomed = false
            do {
                try await current.executeThenClose { inbound, outbound in
                    do {
                        try await outbound.send([.hello(Hello(role: .client, name: name, address: workerAddress, functions: TaskRegistry.shared.signatures))])
                    } catch {
                        // Under TLS 1.3 the scheduler may reject this side's certificate just
                        // after the handshake and close: its worded alert waits inbound, and
                        // says more than the failed write.
                        var frames = inbound.makeAsyncIterator()
                        _ = try await frames.next()
                        throw error
                    }
                    var batches = MessageBatches(frames: inbound).makeAsyncIterator()
                    let first = try await batches.next() ?? []
                    switch first.first {
                    case .welcome(let welcome): await connection.welcomed(welcome)
                    case .refused(let reason): throw LoomError(.registry, "the scheduler at \(address) refused this client: \(reason)")
                    case nil where address.scheme == .tcp:
                        throw TransportError("""
                            the scheduler at \(address) closed the connection without welcoming this client; \
                            if it uses TLS, connect to tls://\(address.host):\(address.port) with a Security
                            """)
                    default: throw TransportError("the scheduler at \(address) did not answer the handshake")
                    }
                    try await connection.connected(outbound, channel: current.channel)
                    welcomed = true
                    if !handshaken {
                        handshaken = true
                        announce.yield(.success(()))
                    }
                    await connection.handle(Array(first.dropFirst()))  // may share the welcome's frame
                    while let batch = try await batches.next() { await connection.handle(batch) }
                }
                reason = "the scheduler closed the connection"
            } catch {
                guard handshaken else {
                    // A TLS failure after the handshake's first half: the scheduler refused this
                    // client's certificate.
                    announce.yield(.failure(error is TLSFailure ? TransportError("the scheduler at \(address): \(error)") : error))
                    return
                }
                reason = "\(error)"
                // A scheduler that refuses this client now (another Loom version, other task
                // functions) will not change its mind.
                if let error = error as? LoomError, error.code == .registry { break }
            }
            if Task.isCancelled { break }
            await connection.disconnected(reason)
            if welcomed || deadline == nil { deadline = .now + reconnectTimeout }
            channel = await reconnect(to: address, security: security, until: deadline ?? .now)
        }
        await connection.closed(reason)
    }

    /// The first connection: tried again, backing off, until `timeout` (none: once).
    private static func connect(to address: Address, security: TransportSecurity?, timeout: Duration?) async throws -> FrameChannel {
        guard let timeout else { return try await Transport.connect(to: address, security: security) }
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(20)
        while true {
            do {
                return try await Transport.connect(to: address, security: security)
            } catch {
                guard ContinuousClock.now + pause < deadline else {
                    throw LoomError(.timeout, "the scheduler at \(address) did not answer within \(timeout): \(error)", underlying: error)
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }

    private static func reconnect(to address: Address, security: TransportSecurity?, until deadline: ContinuousClock.Instant) async -> FrameChannel? {
        var pause = Duration.milliseconds(20)
        while !Task.isCancelled, ContinuousClock.now < deadline {
            if let channel = try? await Transport.connect(to: address, security: security) { return channel }
            guard ContinuousClock.now + pause < deadline else { return nil }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(1))
        }
        return nil
    }

    /// The scheduler's dashboard (`http://HOST:8787/status`), if it serves one.
    public var dashboardLink: String? { connection.dashboardLink.withLock { $0 } }

    public convenience init(address: String, security: Security? = nil, timeout: Duration? = nil, setAsDefault: Bool = true) async throws {
        try await self.init(address: try Address(parsing: address), security: security, timeout: timeout, setAsDefault: setAsDefault)
    }

    /// Disconnects; the scheduler releases everything this client held. It stops being the
    /// default for `compute()`.
    public func close() async {
        DefaultGraphRunner.resign(self)
        await sendsBeforeClosing.finish()
        await connection.sayGoodbye()
        // Ends the session: with no releases left to send it closes its connections.
        releases.finish()
        session?.cancel()
        await session?.value
    }

    deinit { session?.cancel() }

    func releaseLater(_ key: Key) { releases.post(key) }

    /// Submits the graph behind `value` and returns a future for it; the work starts at once.
    public func persist<Value: Codable & Sendable>(_ value: Delayed<Value>, priority: Int = 0, retries: Int = 0,
                                                   workers: [String] = [], allowOtherWorkers: Bool = false,
                                                   resources: [String: Double] = [:]) async throws -> Future<Value> {
        try await persist([value], priority: priority, retries: retries, workers: workers, allowOtherWorkers: allowOtherWorkers, resources: resources)[0]
    }

    /// Submits several graphs in one update, sharing common work.
    public func persist<Value: Codable & Sendable>(_ values: [Delayed<Value>], priority: Int = 0, retries: Int = 0,
                                                   workers: [String] = [], allowOtherWorkers: Bool = false,
                                                   resources: [String: Double] = [:]) async throws -> [Future<Value>] {
        let graph = TaskGraph(outputs: values.map(\.node))
        let (tasks, functions) = try graph.wireTasks(
            priority: Int64(priority), retries: Int64(retries),
            placement: workers.isEmpty ? nil : TaskPlacement(workers: workers, allowOtherWorkers: allowOtherWorkers), resources: resources)
        let wanted = graph.outputs.map { graph.keys[Int($0)] }
        try await connection.submit(tasks, wanted: wanted, functions: functions)
        return values.map { Future(key: $0.key, client: self) }
    }

    /// Runs `function` on the cluster: `let total = try await client.submit(Tasks.add, a, 5)`.
    /// Arguments are values, `Delayed` calls or other futures.
    /// `key` names the task (a unique one is made otherwise); `workers` restricts it to workers
    /// by name or address (`allowOtherWorkers`: prefers them, and runs elsewhere while none of
    /// them is there); `resources` are abstract amounts it holds while it runs. `pure` keys the
    /// task by the call alone (`TaskNode.pureKey()`, Dask's `pure=True`): the same call from any
    /// client is one task, and one whose result is still held is not computed again.
    public func submit<each Argument, Result, each Input: TaskArgument>(
        _ function: TaskFunction<repeat each Argument, Result>, _ arguments: repeat each Input, key: String? = nil, pure: Bool = false,
        priority: Int = 0, retries: Int = 0, workers: [String] = [], allowOtherWorkers: Bool = false, resources: [String: Double] = [:]
    ) async throws -> Future<Result> where repeat (each Input).Resolved == each Argument {
        var call = function.delayed(repeat each arguments)
        if let key {
            call = call.named(Key(key))
        } else if pure {
            call = call.named(try call.node.pureKey())
        }
        return try await persist(call, priority: priority, retries: retries, workers: workers, allowOtherWorkers: allowOtherWorkers, resources: resources)
    }

    /// One task per element, submitted together: Dask's `client.map`. With several lists the
    /// function takes an element of each (`client.map(Tasks.add, xs, ys)`), as many tasks as the
    /// shortest list has elements. `keys` names the tasks (one each); the other options are
    /// `submit`'s, for every task.
    public func map<each Argument, Result, each Input: TaskArgument>(
        _ function: TaskFunction<repeat each Argument, Result>, _ values: repeat [each Input], keys: [String]? = nil, pure: Bool = false,
        priority: Int = 0, retries: Int = 0, workers: [String] = [], allowOtherWorkers: Bool = false, resources: [String: Double] = [:]
    ) async throws -> [Future<Result>] where repeat (each Input).Resolved == each Argument {
        var count = Int.max
        for list in repeat each values { count = min(count, list.count) }
        if count == .max { count = 0 }
        if let keys, keys.count != count {
            throw LoomError(.configuration, "map was given \(keys.count) keys for \(count) tasks of '\(function.name)'")
        }
        let calls = try (0..<count).map { index in
            let call = function.delayed(repeat (each values)[index])
            if let keys { return call.named(Key(keys[index])) }
            return pure ? call.named(try call.node.pureKey()) : call
        }
        return try await persist(calls, priority: priority, retries: retries, workers: workers, allowOtherWorkers: allowOtherWorkers, resources: resources)
    }

    /// Computes `value` on the cluster and returns it.
    public func compute<Value: Codable & Sendable>(_ value: Delayed<Value>) async throws -> Value {
        try await persist(value).result()
    }

    /// The results of `futures`, fetched from the workers in one request per worker.
    ///
    /// A worker that died since the scheduler named it is no reason to fail: the client asks
    /// the scheduler where the values are now, or waits while lost ones are computed again.
    /// Cancelling the awaiting task ends the wait with `CancellationError`; the computation
    /// goes on while the futures live.
    public func gather<Value>(_ futures: [Future<Value>]) async throws -> [Value] {
        let values = try await gatherEncoded(futures.map(\.key))
        return try futures.map { future in try future.decode(values[future.key]!) }
    }

    /// The encoded values of `keys` once computed, by key.
    func gatherEncoded(_ keys: [Key]) async throws -> [Key: [UInt8]] {
        var attempt = 0
        while true {
            var holders: [Key: [String]] = [:]
            let statuses = await connection.statuses(of: keys)
            for (key, status) in zip(keys, statuses) {
                guard case .memory(let places) = status else {
                    // Still pending: the awaiting task was cancelled.
                    if status.isPending { try Task.checkCancellation() }
                    throw status.error(for: key)
                }
                holders[key] = places
            }
            do {
                return try await fetch(holders)
            } catch let error as LoomError where error.code == .workerDied && attempt < 50 {
                attempt += 1
                try await connection.refresh(holders)
                try await Task.sleep(for: .milliseconds(20 * min(attempt, 10)))
            }
        }
    }

    /// Fetches encoded values from the workers holding them, one request per worker.
    func fetch(_ holders: [Key: [String]]) async throws -> [Key: [UInt8]] {
        var byWorker: [String: [Key]] = [:]
        for (key, places) in holders {
            guard let first = places.first else { throw LoomError(.workerDied, "no worker holds '\(key)' any more", key: key) }
            byWorker[first, default: []].append(key)
        }
        let local = localHolder.withLock { $0 }
        return try await withThrowingTaskGroup(of: [Key: [UInt8]].self) { group in
            for (worker, keys) in byWorker {
                group.addTask { [peers] in
                    let values: [Key: [UInt8]], missing: [Key]
                    do {
                        if let local, local.address == worker {
                            (values, missing) = await local.values(keys)
                        } else {
                            (values, missing) = try await peers.fetch(keys, from: worker)
                        }
                    } catch {
                        throw LoomError(.workerDied, "cannot fetch from worker \(worker): \(error)", key: keys.first, underlying: error)
                    }
                    if let lost = missing.first {
                        throw LoomError(.workerDied, "worker \(worker) no longer holds '\(lost)'", key: lost)
                    }
                    return values
                }
            }
            var all: [Key: [UInt8]] = [:]
            for try await values in group { all.merge(values) { first, _ in first } }
            return all
        }
    }

    /// The workers the scheduler knows, with their threads, memory and load.
    public func schedulerInfo() async throws -> [WorkerSummary] {
        guard case .schedulerInfo(_, let workers) = try await connection.request({ .schedulerInfoRequest(request: $0) }) else {
            throw TransportError("the scheduler sent an unexpected reply")
        }
        return workers
    }

    /// Addresses of the connected workers named in `workers` (by name or address; all when empty).
    func workerAddresses(named workers: [String]) async throws -> [String] {
        try await schedulerInfo()
            .filter { workers.isEmpty || workers.contains($0.name) || workers.contains($0.address) }
            .map(\.address)
    }
}

/// Runs `body` with a client of the scheduler at `address`, then closes it, also when `body`
/// throws. The client's session runs in this call's task group, not in a task of its own, so
/// nothing of it outlives the call. `setAsDefault` makes `compute()` run on its cluster
/// meanwhile.
public func withClient<T>(
    address: Address, security: Security? = nil, reconnectTimeout: Duration = .seconds(10), setAsDefault: Bool = false,
    _ body: (Client) async throws -> T
) async throws -> T {
    try await Client.scoped(address: address, security: security, reconnectTimeout: reconnectTimeout, setAsDefault: setAsDefault, body)
}

/// Runs `body` with a client of the cluster's scheduler (with the cluster's TLS settings),
/// then closes the client; the cluster stays up.
/// Runs `body` with `client` as the scheduler of every `compute()` without one in it (and in
/// the tasks it starts), whether or not `client` is the default: the explicit scope beside the
/// newest-client rule.
public func withClient<T>(_ client: Client, _ body: () async throws -> T) async rethrows -> T {
    try await DefaultGraphRunner.withRunner(client, body)
}

public func withClient<T>(_ cluster: some Cluster, setAsDefault: Bool = false, _ body: (Client) async throws -> T) async throws -> T {
    try await withClient(address: cluster.schedulerAddress, security: cluster.base.scheduler.security, setAsDefault: setAsDefault, body)
}
