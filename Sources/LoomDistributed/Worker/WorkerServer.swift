import Foundation
import LoomCore
import Logging
import NIOCore
import ServiceLifecycle

/// A worker: runs the tasks the scheduler sends on dedicated threads, fetches their inputs
/// straight from the workers holding them, and serves its own results to peers and clients.
///
/// `WorkerState` makes every decision; this actor only owns the sockets and the threads.
public actor WorkerServer: Service {
    public let options: WorkerOptions
    var state: WorkerState
    private let runner: TaskRunner
    /// The client this worker's tasks share (`TaskContext.client()`), made on first use.
    private let taskClient: WorkerClient
    /// Reports to the scheduler, coalesced into frames.
    let toScheduler: Outbox
    private let peers: PeerPool
    private let transportSecurity: TransportSecurity?
    private let fetches: AsyncStream<(request: Int, peer: String, keys: [Key])>
    private let fetchQueue: AsyncStream<(request: Int, peer: String, keys: [Key])>.Continuation
    var logger = Logger.loom("loom.worker")
    /// Where this worker serves data, once it listens.
    public private(set) var address: Address?
    var name: String { options.name ?? address.map(\.description) ?? "worker" }
    /// This worker's own directory for spilled values, and their files.
    private let spillDirectory: String
    private let spillFiles: SpillFiles
    private var restartRequested = false
    private var closeRequested = false
    /// Fetch totals by key prefix, for the heartbeat.
    private var transfers: [String: PhaseTotals] = [:]
    /// The process's worker plugins (`WorkerPlugins`), set up once the worker listens.
    var plugins: [any WorkerPlugin] = []
    /// What plugins are told of this worker, once it listens.
    var pluginContext: WorkerContext?

    public init(options: WorkerOptions) throws {
        self.options = options
        transportSecurity = try options.security.map { try TransportSecurity($0, role: .worker) }
        let base = options.localDirectory ?? FileManager.default.temporaryDirectory.path
        spillDirectory = "\(base)/loom-worker-\(ProcessInfo.processInfo.processIdentifier)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        func bytes(_ fraction: Double?) -> Int? { options.bytes(at: fraction).map { Int(clamping: $0) } }
        state = WorkerState(
            threads: options.threads,
            memory: WorkerMemoryThresholds(target: bytes(options.memory.target), spill: bytes(options.memory.spill), pause: bytes(options.memory.pause)))
        spillFiles = SpillFiles(directory: spillDirectory)
        let taskClient = WorkerClient(scheduler: options.scheduler, security: options.security)
        self.taskClient = taskClient
        runner = TaskRunner(threads: options.threads, worker: options.name ?? "worker", client: { try await taskClient.client() })
        toScheduler = Outbox(interval: options.batchInterval)
        peers = PeerPool(name: options.name ?? "worker", security: transportSecurity)
        (fetches, fetchQueue) = AsyncStream.makeStream()
    }

    /// Serves until the scheduler goes away, or a graceful shutdown (ServiceLifecycle) ends it
    /// as its scheduler going away would; throws if the scheduler refuses this worker.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.serveWithDirectory() }
        } catch where Task.isShuttingDownGracefully {
            return
        }
    }

    private func serveWithDirectory() async throws {
        do {
            try FileManager.default.createDirectory(atPath: spillDirectory, withIntermediateDirectories: true)
        } catch {
            throw LoomError(.configuration, "worker \(name) cannot create its local directory \(spillDirectory): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: spillDirectory) }
        do {
            try await serve()
        } catch is SchedulerClosed {
            logger.info("the scheduler closed the connection; stopping")
        } catch {
            await taskClient.close()
            throw error
        }
        await taskClient.close()
    }

    /// Samples the process's memory for `WorkerState` (which decides what to spill and whether
    /// to pause), and sends the heartbeat (at once when pausing or resuming).
    private func watchMemory() async {
        var lastHeartbeat = ContinuousClock.now - options.heartbeatInterval
        var reportedSpillProblem = false
        while !Task.isCancelled {
            let effects = state.memorySampled(processBytes: ProcessMemory.residentBytes() ?? 0)
            perform(effects)
            let freed = effects.reduce(0) { if case .spill(_, let bytes) = $1 { $0 + bytes.count } else { $0 } }
            if freed > 0 {
                ProcessMemory.returnFreedMemory()
                logger.debug("spilled to stay under the memory limit", metadata: ["bytes": "\(freed)"])
            }
            if ContinuousClock.now - lastHeartbeat >= options.heartbeatInterval || effects.contains(where: \.changesPause) {
                lastHeartbeat = .now
                toScheduler.post(.heartbeat(metrics))
            }
            if let problem = state.values.spillProblem, !reportedSpillProblem {
                reportedSpillProblem = true
                logger.error("\(problem); values stay in memory from now on")
            }
            try? await Task.sleep(for: options.memoryMonitorInterval)
        }
    }

    /// Memory as the heartbeat reports it.
    var metrics: WorkerMetrics {
        WorkerMetrics(
            managedBytes: UInt64(max(0, state.values.memoryBytes)), spilledBytes: UInt64(max(0, state.values.spilledBytes)),
            processBytes: ProcessMemory.residentBytes() ?? 0, paused: state.paused,
            spillWrittenBytes: UInt64(spillFiles.bytesWritten), spillWriteSeconds: spillFiles.secondsWriting,
            phases: transfers.merging(spillFiles.diskSecondsByPrefix.mapValues { PhaseTotals(diskSeconds: $0) }) { transfer, disk in
                var both = transfer
                both.diskSeconds = disk.diskSeconds
                return both
            })
    }

    private struct SchedulerClosed: Error {}

    /// The scheduler asked for a fresh worker (`Client.restart`): `run` throws this, and a
    /// worker process exits with `exitStatus`, which its nanny answers with a new process.
    public struct RestartRequested: Error, CustomStringConvertible {
        public var description: String { "the scheduler asked this worker to restart" }
        public static let exitStatus: Int32 = 75  // EX_TEMPFAIL
    }

    /// The scheduler could not be reached within the death timeout; the worker exits.
    public struct SchedulerUnreachable: Error, CustomStringConvertible {
        public var description: String
        /// The exit status a worker process ends with then, so its nanny does not restart it.
        public static let exitStatus: Int32 = 69  // EX_UNAVAILABLE
    }

    private func serve() async throws {
        let host = await listenHost()
        let listener = try await Transport.listen(host: host, port: options.port, security: transportSecurity)
        let bound = try await contact(listeningOn: host, port: listener.channel.localAddress?.port ?? options.port)
        address = bound
        logger[metadataKey: "worker.name"] = "\(name)"
        let context = WorkerContext(
            name: name, address: bound.description, scheduler: options.scheduler, threads: options.threads,
            memoryLimit: options.memoryLimit, localDirectory: spillDirectory, peers: PeerCalls(pool: peers))
        pluginContext = context
        do {
            try await setUpPlugins(context)
        } catch {
            try? await listener.channel.close()
            throw error
        }
        do {
            try await serve(listener, at: bound)
        } catch {
            await tearDownPlugins(context)
            throw error
        }
        await tearDownPlugins(context)
    }

    /// `--host`, or else the address this host reaches the scheduler from (0.0.0.0 when only a
    /// contact address is given).
    private func listenHost() async -> String {
        if let host = options.host { return host }
        if options.contactAddress != nil { return "0.0.0.0" }
        if let routed = await NetworkInterface.sourceAddress(towards: options.scheduler.host, port: options.scheduler.port) { return routed }
        return await NetworkInterface.outwardAddress()
    }

    /// The address this worker tells the scheduler, peers and clients.
    private func contact(listeningOn host: String, port: Int) async throws -> Address {
        let scheme = Security.scheme(options.security)
        guard let given = options.contactAddress else {
            return Address(host: await NetworkInterface.contactHost(forListening: host), port: port, scheme: scheme)
        }
        if let parsed = try? Address(parsing: given) { return Address(host: parsed.host, port: parsed.port, scheme: scheme) }
        guard !given.isEmpty, !given.contains("/") else {
            throw LoomError(.configuration, "--contact-address '\(given)' is not HOST or HOST:PORT")
        }
        return Address(host: given, port: port, scheme: scheme)
    }

    private func serve(_ listener: NIOAsyncChannel<FrameChannel, Never>, at bound: Address) async throws {
        // This worker's tasks read what it holds from its memory, not over a socket to itself.
        taskClient.serveLocally(at: bound.description) { [weak self] keys in await self?.heldValues(keys) ?? ([:], keys) }
        let connection = try await connectToScheduler()
        defer { runner.shutDown() }
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.send([.hello(Hello(
                role: .worker, name: name, address: bound.description, threads: options.threads,
                memoryLimit: options.memoryLimit, resources: options.resources, functions: TaskRegistry.shared.signatures,
                supervised: options.supervised))])
            var batches = MessageBatches(frames: inbound).makeAsyncIterator()
            guard let first = try await batches.next() else { throw SchedulerClosed() }  // it went away meanwhile
            switch first.first {
            case .welcome: break
            case .refused(let reason): throw TransportError("the scheduler at \(options.scheduler) refused worker \(name): \(reason)")
            default: throw TransportError("the scheduler at \(options.scheduler) did not welcome worker \(name)")
            }
            // Work the scheduler sent right after the welcome may share its frame.
            let sentWithWelcome = Array(first.dropFirst())
            logger.info("worker ready", metadata: ["worker.address": "\(bound)", "scheduler.address": "\(options.scheduler)"])
            let remaining = Handoff(batches)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.servePeers(listener) }
                group.addTask { try await self.toScheduler.drain(into: outbound) }
                group.addTask { await self.peers.run() }
                group.addTask { await self.watchMemory() }
                if let lifetime = options.lifetime {
                    group.addTask {
                        let stagger = self.options.lifetimeStagger / .seconds(1)
                        try await Task.sleep(for: lifetime + .seconds(Double.random(in: 0...max(0, stagger))))
                        await self.logger.info("lifetime reached; asking to retire")
                        self.toScheduler.post(.retireRequest)
                        // A scheduler that never answers does not keep the worker past its job's end.
                        try await Task.sleep(for: .seconds(60))
                        throw SchedulerClosed()
                    }
                }
                group.addTask {
                    for await report in self.runner.reports {
                        switch report {
                        case .finished(let outcome): await self.finished(outcome)
                        case .seceded(let key): await self.seceded(key)
                        }
                    }
                }
                group.addTask {
                    // The scheduler going away ends the worker: no orphans.
                    var batches = remaining.value
                    defer { self.fetchQueue.finish() }  // ends the loop below, which no cancellation reaches
                    await self.handle(sentWithWelcome)
                    while let batch = try await batches.next() {
                        await self.handle(batch)
                        if await self.restartRequested { throw RestartRequested() }
                        if await self.closeRequested { throw SchedulerClosed() }
                    }
                    throw SchedulerClosed()
                }
                for await fetch in fetches {
                    group.addTask { await self.fetch(fetch.keys, from: fetch.peer, request: fetch.request) }
                }
            }
        }
    }

    /// Connects, trying again (backing off to 1 s) until the death timeout: a worker may start
    /// before its scheduler, as batch jobs and pods often do.
    private func connectToScheduler() async throws -> FrameChannel {
        let deadline = ContinuousClock.now + options.deathTimeout
        var pause = Duration.milliseconds(50)
        while true {
            do {
                return try await Transport.connect(to: options.scheduler, security: transportSecurity)
            } catch {
                guard ContinuousClock.now + pause < deadline else {
                    throw SchedulerUnreachable(description: "worker \(name) found no scheduler at \(options.scheduler) within its "
                        + "death timeout (\(options.deathTimeout)): \(error)")
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }

    private func handle(_ batch: [Message]) async {
        var effects: [WorkerState.Effect] = []
        for message in batch {
            switch message {
            case .compute(let request): effects += state.compute(request)
            case .freeKeys(let keys):
                effects += state.free(keys)
                ActorInstances.shared.drop(keys)
            case .steal(let key, let run): effects += state.steal(key, run: run)
            case .holders(let key, let addresses): effects += state.holders(of: key, are: addresses)
            case .replicate(let keys): effects += state.replicate(keys)
            case .restartWorker: restartRequested = true
            case .closeWorker: closeRequested = true
            case .installPlugin(let type, let options):
                // Set up before what the scheduler sent after it: tasks find the plugin ready.
                perform(effects)
                effects = []
                await installPlugin(type, options: options)
            default: logger.info("ignored an unexpected message from the scheduler")
            }
        }
        perform(effects)
    }

    private func seceded(_ key: Key) {
        perform(state.seceded(key))
    }

    private func finished(_ outcome: TaskRunner.Outcome) async {
        switch outcome.result {
        case .success(let value): perform(state.finished(outcome.key, result: value, seconds: outcome.seconds, timing: outcome.timing))
        case .failure(let failure): perform(state.failed(outcome.key, message: failure.message, errorType: failure.errorType))
        }
    }

    private func perform(_ effects: [WorkerState.Effect]) {
        if state.recordsTransitions {
            for change in state.takeTransitions() {
                for plugin in plugins { plugin.transition(key: change.key, start: change.start, finish: change.finish) }
            }
        }
        for effect in effects {
            switch effect {
            case .tellScheduler(let message): toScheduler.post(message)
            case .execute(let task, let arguments): runner.submit(task, arguments: arguments.map { resolve($0) })
            case .spill(let key, let bytes):
                if let problem = spillFiles.write(key, bytes) { state.spillFailed(key, bytes, reason: problem) }
            case .deleteSpilled(let key): spillFiles.delete(key)
            case .pausedChanged(let pausing):
                logger.warning(pausing ? "memory above the pause fraction: pausing" : "memory back under the pause fraction: resuming",
                               metadata: ["process.bytes": "\(ProcessMemory.residentBytes() ?? 0)", "memory.limit": "\(options.memoryLimit)"])
            case .fetch(let request, let peer, let keys): fetchQueue.yield((request, peer, keys))
            case .withdraw(let key, let run, let forSteal):
                perform(state.withdrawal(key, run: run, forSteal: forSteal, succeeded: runner.withdraw(key)))
            }
        }
    }

    /// The values of `keys` held here (spilled ones read back), and the keys that are not.
    func heldValues(_ keys: [Key]) -> (values: [Key: [UInt8]], missing: [Key]) {
        var (values, spilled, missing) = state.values(for: keys)
        for key in spilled {
            if let bytes = readBack(key) { values[key] = bytes } else { missing.append(key) }
        }
        return (values, missing)
    }

    /// An argument's bytes, reading a spilled value back.
    private func resolve(_ argument: StoredArgument) -> [UInt8] {
        switch argument {
        case .bytes(let bytes): bytes
        case .spilled(let key): readBack(key) ?? []
        case .list(let items): ValueCodec.encodeList(of: items.map { resolve($0) })
        }
    }

    /// A held value from memory or its spill file (which `WorkerState` then forgets); nil if
    /// it is not held or its file cannot be read.
    private func readBack(_ key: Key) -> [UInt8]? {
        switch state.values.use(key) {
        case .memory(let bytes): return bytes
        case nil: return nil
        case .spilled: break
        }
        guard let count = state.values.nbytes(of: key), let bytes = spillFiles.read(key, count: count) else {
            logger.error("cannot read a spilled value back", metadata: ["task.key": "\(key)", "directory": "\(spillDirectory)"])
            return nil
        }
        perform(state.loaded(key, bytes))
        return bytes
    }

    /// Gets values from a peer over the pooled connection to it.
    private func fetch(_ keys: [Key], from peer: String, request: Int) async {
        do {
            let started = ContinuousClock.now
            let (values, _) = try await peers.fetch(keys, from: peer)
            countTransfer(values, seconds: (ContinuousClock.now - started) / .seconds(1))
            perform(state.received(request: request, values: values))
        } catch {
            perform(state.fetchFailed(request: request, reason: "\(error)"))
        }
    }

    /// Adds a fetch to the transfer totals of its keys' prefixes, its time shared by bytes.
    private func countTransfer(_ values: [Key: [UInt8]], seconds: Double) {
        let total = max(1, values.values.reduce(0) { $0 + $1.count })
        for (key, value) in values {
            let prefix = key.prefix
            transfers[prefix, default: PhaseTotals()].transferBytes += UInt64(value.count)
            transfers[prefix, default: PhaseTotals()].transferSeconds += seconds * Double(value.count) / Double(total)
        }
    }

    /// Answers peers and clients: `getData`, `putData` and `runFunction`; a connection that sends
    /// garbage is closed.
    private func servePeers(_ listener: NIOAsyncChannel<FrameChannel, Never>) async throws {
        try await listener.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        do {
                            try await connection.executeThenClose { inbound, outbound in
                                try await withThrowingDiscardingTaskGroup { calls in
                                    // Actor calls answer from their actors' mailboxes, through here.
                                    let (actorReplies, actorReply) = AsyncStream.makeStream(of: Message.self)
                                    calls.addTask { for await reply in actorReplies { try await outbound.send([reply]) } }
                                    defer { actorReply.finish() }
                                    for try await batch in MessageBatches(frames: inbound) {
                                        let (replies, functionCalls, actorCalls) = await self.answer(batch)
                                        if !replies.isEmpty { try await outbound.send(replies) }
                                        // Posted in the order they came, which is the order they run in.
                                        for call in actorCalls { self.post(call, answering: actorReply) }
                                        for (request, function, arguments) in functionCalls {
                                            calls.addTask {
                                                let reply: Message = switch await self.runner.call(function, arguments: arguments) {
                                                case .success(let value): .runResult(request: request, value: value, error: nil)
                                                case .failure(let failure): .runResult(request: request, value: [], error: failure.message)
                                                }
                                                try await outbound.send([reply])
                                            }
                                        }
                                    }
                                }
                            }
                        } catch {
                            await self.logger.info("closed a peer connection: \(error)")
                        }
                    }
                }
            }
        }
    }

    /// An actor method a client asked for.
    struct ActorCall {
        var request: UInt64
        var actor: Key
        var method: String
        var arguments: [[UInt8]]
    }

    /// The immediate replies to a batch from a peer or client, and the function and actor calls
    /// it asks for, which take their time and are answered when they return.
    private func answer(_ batch: [Message]) -> (replies: [Message], calls: [(UInt64, String, [[UInt8]])], actorCalls: [ActorCall]) {
        var replies: [Message] = []
        var calls: [(UInt64, String, [[UInt8]])] = []
        var actorCalls: [ActorCall] = []
        for message in batch {
            switch message {
            case .getData(let request, let keys):
                let (values, missing) = heldValues(keys)
                replies.append(.data(request: request, values: values, missing: missing))
            case .putData(let request, let values):
                perform(state.store(values))
                replies.append(.dataStored(request: request))
            case .runFunction(let request, let function, let arguments):
                calls.append((request, function, arguments))
            case .actorCall(let request, let actor, let method, let arguments):
                actorCalls.append(ActorCall(request: request, actor: actor, method: method, arguments: arguments))
            case .logsRequest(let request, let count):
                replies.append(.logs(request: request, records: LogBuffer.shared.recent(Int(clamping: count))))
            case .hello:
                break  // a peer introducing itself
            default:
                logger.info("ignored an unexpected message from a peer")
            }
        }
        return (replies, calls, actorCalls)
    }

    /// Queues `call` on its actor's mailbox; the reply goes to `replies` once it ran.
    private nonisolated func post(_ call: ActorCall, answering replies: AsyncStream<Message>.Continuation) {
        let runner = runner
        let posted = ActorInstances.shared.post({
            let result = await ActorInstances.$calling.withValue(call.actor) { await runner.callAwaiting(call.method, arguments: call.arguments) }
            let reply: Message = switch result {
            case .success(let value): .runResult(request: call.request, value: value, error: nil)
            case .failure(let failure): .runResult(request: call.request, value: [], error: failure.message)
            }
            replies.yield(reply)
        }, to: call.actor)
        if !posted {
            replies.yield(.runResult(request: call.request, value: [], error: "no actor '\(call.actor)' here (released, or its worker restarted?)"))
        }
    }
}
