import Foundation
import LoomCore

/// The scheduler's state machine, which takes each task in its wire form.
typealias SchedulerCore = SchedulerState

// Translation between connections and the pure state machine: messages become events, effects
// become messages posted to the right connection's outbox, in order.
extension SchedulerServer {
    func joined(_ connection: Int, _ hello: Hello, outbox: Outbox) {
        switch hello.role {
        case .worker:
            connections[connection] = SchedulerConnection(
                outbox: outbox, phase: .worker(.init(hello: hello, lastHeard: .now)))
            installWorkerPlugins(on: outbox)
            for plugin in plugins { plugin.workerAdded(WorkerSpec(id: WorkerID(connection), hello)) }
            apply(core.handle(.workerJoined(WorkerID(connection), hello)))
            logger.info("worker joined", metadata: ["worker.name": "\(hello.name)", "worker.address": "\(hello.address)"])
        case .client:
            clientJoined(connection, hello, outbox: outbox)
        case .peer:
            break  // refused before it gets here
        }
    }

    /// Idempotent: a worker forgotten on purpose may still drop its connection later.
    func left(_ connection: Int, retired: Bool = false) {
        switch connections[connection]?.phase {
        case .worker:
            // Still named while its tasks' transitions reach the plugins.
            apply(core.handle(.workerLeft(WorkerID(connection), retired ? .retired : .lost)))
            guard let hello = connections[connection]?.releaseWorker() else { return }
            for plugin in plugins { plugin.workerRemoved(hello.name, lost: !retired) }
            logger.info("worker left", metadata: ["worker.name": "\(hello.name)"])
            workerLeft(at: hello.address)
        case .client:
            clientLeft(connection)
        case .releasedWorker, .supersededClient, nil:
            break
        }
    }

    /// Acts on one batch of a connection's messages; throws (closing that connection) on a
    /// message its phase does not allow.
    func received(_ batch: [Message], from connection: Int) throws {
        switch connections[connection]?.phase {
        case .worker:
            receivedFromWorker(batch, connection: connection)
        case .client(let client, _):
            try receivedFromClient(batch, client: client, connection: connection)
        case .releasedWorker, .supersededClient, nil:
            // A worker already retired, restarted or forgotten, or a client's connection its
            // reconnection took over, may still say something: it is not acted on.
            return
        }
    }

    private func receivedFromWorker(_ batch: [Message], connection: Int) {
        guard let link = connections[connection]?.worker else { return }
        var effects: [SchedulerCore.Effect] = []
        let worker = WorkerID(connection)
        let name = link.hello.name
        link.lastHeard = .now
        for message in batch {
            switch message {
            case .heartbeat(let metrics):
                let before = link.metrics
                link.metrics = metrics
                for plugin in plugins { plugin.heartbeat(name, metrics: metrics) }
                if metrics.paused != before.paused { core.handle(.workerPaused(worker, paused: metrics.paused), into: &effects) }
            case .taskFinished(let key, let run, let nbytes, let seconds, let timing):
                core.handle(.taskFinished(
                    worker: worker, key: key, runID: Int(run), nbytes: Int(clamping: nbytes), duration: seconds, function: nil),
                    into: &effects)
                if core.recordsTransitions {
                    deliverTransitions(finished: (key, name, TaskRun(seconds: seconds, nbytes: Int(clamping: nbytes), timing: timing)))
                }
            case .taskFailed(let key, let run, let message, let errorType):
                core.handle(.taskErred(worker: worker, key: key, runID: Int(run), message: message, errorType: errorType), into: &effects)
                if core.recordsTransitions { deliverTransitions(finished: (key, name, nil)) }
            case .taskSeceded(let key, let run):
                core.handle(.taskSeceded(worker: worker, key: key, runID: Int(run)), into: &effects)
            case .fetchFailed(let key, let holders):
                let known = holders.compactMap(core.worker(at:))
                for holder in known { core.handle(.fetchFailed(worker: worker, key: key, holder: holder), into: &effects) }
                // Holders already gone were handled when they left; if a copy remains, say where.
                if known.isEmpty, core.state(of: key) == .memory {
                    connections[connection]?.outbox.post(.holders(key: key, addresses: addresses(of: core.holders(of: key))))
                }
            case .pluginInstalled(let type, let error):
                workerInstalledPlugin(type, worker: name, error: error)
            case .retireRequest:
                logger.info("worker reached its lifetime; retiring it", metadata: ["worker.name": "\(name)"])
                inBackground { _ = await self.retire(workers: [name]) }
            case .keysAdded(let keys):
                core.handle(.keysAdded(worker: worker, keys: keys.mapValues { Int(clamping: $0) }), into: &effects)
            case .stealResponse(let key, let run, let accepted):
                core.handle(.stealResponse(worker: worker, key: key, runID: Int(run), accepted: accepted), into: &effects)
            default:
                logger.info("ignored an unexpected message", metadata: ["worker.name": "\(name)"])
            }
        }
        apply(effects)
    }

    private func receivedFromClient(_ batch: [Message], client: ClientID, connection: Int) throws {
        var effects: [SchedulerCore.Effect] = []
        guard let outbox = connections[connection]?.outbox else { return }
        for message in batch {
            switch message {
            case .updateGraph(let tasks, let wanted, let functions):
                if let problem = unsupported(functions) {
                    outbox.post(.graphRejected(message: problem))
                    continue
                }
                core.handle(.updateGraph(client: client, tasks: tasks, wants: wanted), into: &effects)
            case .releaseKeys(let keys):
                core.handle(.releaseKeys(client: client, keys: keys), into: &effects)
            case .scattered(let values):
                core.handle(.scatter(client: client, values: values), into: &effects)
            case .cancelKeys(let keys):
                core.handle(.cancelKeys(client: client, keys: keys), into: &effects)
            case .stillWaiting(let keys):
                core.handle(.clientStillWaiting(client: client, keys: keys), into: &effects)
            case .fireAndForget(let keys):
                core.handle(.fireAndForget(keys: keys), into: &effects)
            case .retry(let keys):
                core.handle(.retry(client: client, keys: keys), into: &effects)
            case .schedulerInfoRequest(let request):
                outbox.post(.schedulerInfo(request: request, workers: workerSummaries()))
            case .pluginRequest(let request, let plugin, let payload):
                answerPluginRequest(request, plugin: plugin, payload: payload, from: client, outbox: outbox)
            case .logsRequest(let request, let count):
                outbox.post(.logs(request: request, records: LogBuffer.shared.recent(Int(clamping: count))))
            case .closeClient:
                try connections[connection]?.closeClient()
            case .restart(let request, let timeout):
                let seconds = timeout.isFinite ? min(max(timeout, 0), 3_600) : 60
                inBackground { await self.restart(request: request, for: connection, timeout: .seconds(seconds)) }
            case .whoHas(let request, let keys):
                let holders = Dictionary(uniqueKeysWithValues: keys.map { ($0, addresses(of: core.holders(of: $0))) })
                outbox.post(.whoHasReply(request: request, holders: holders))
            default:
                logger.info("ignored an unexpected message", metadata: ["connection": "\(connection)"])
            }
        }
        apply(effects)
    }

    func tick() {
        let now = ContinuousClock.now
        apply(core.handle(.tick(now: now.secondsSinceStart)))
        releaseDepartedClients(now: now)
        // Dask's worker-ttl: a worker silent that long is lost even if its connection seems open.
        for (id, connection) in connections {
            guard let link = connection.worker, now - link.lastHeard > options.workerTTL else { continue }
            logger.warning("worker missed its heartbeats; removing it",
                           metadata: ["worker.name": "\(link.hello.name)", "silent.seconds": "\((now - link.lastHeard) / .seconds(1))"])
            connection.outbox.close()
            left(id)
        }
    }

    /// Posts each effect to its connection's outbox, preserving order per connection, and
    /// tells the plugins what changed.
    func apply(_ effects: [SchedulerCore.Effect]) {
        if core.recordsTransitions { deliverTransitions() }
        for effect in effects {
            switch effect {
            case .compute(let worker, let assignment):
                var holders: [Key: [String]] = [:]
                for dependency in assignment.dependencies { holders[dependency.key] = addresses(of: dependency.holders) }
                post(.compute(ComputeRequest(
                    task: assignment.task, holders: holders, run: Int64(assignment.runID),
                    generation: Int64(assignment.priority.generation))), to: worker.rawValue)
            case .freeKeys(let worker, let keys):
                post(.freeKeys(keys), to: worker.rawValue)
            case .stealRequest(let worker, let key, let run):
                post(.steal(key: key, run: Int64(run)), to: worker.rawValue)
            case .whoHas(let worker, let key, let holders):
                post(.holders(key: key, addresses: addresses(of: holders)), to: worker.rawValue)
            case .replicate(let worker, let keys):
                post(.replicate(keys.mapValues { addresses(of: $0) }), to: worker.rawValue)
            case .keyInMemory(let client, let key, let holders, let nbytes):
                post(.keyInMemory(key: key, nbytes: UInt64(max(0, nbytes)), holders: addresses(of: holders)), to: client)
            case .keyLost:
                break  // the key is being recomputed; the client keeps waiting
            case .taskErred(let client, let failure):
                post(.taskErred(key: failure.key, function: failure.function, message: failure.message, errorType: failure.errorType), to: client)
            case .cancelled(let client, let keys):
                outbox(of: client)?.post(keys.map { .keyCancelled(key: $0) })
            case .graphRejected(let client, let rejection):
                post(.graphRejected(message: rejection.description), to: client)
            }
        }
    }

    private func post(_ message: Message, to worker: Int) {
        connections[worker]?.outbox.post(message)
    }

    private func post(_ message: Message, to client: ClientID) {
        outbox(of: client)?.post(message)
    }

    /// The outbox of the connection a client uses now; none while it is away (it hears again
    /// when it comes back).
    private func outbox(of client: ClientID) -> Outbox? {
        clients[client]?.connection.flatMap { connections[$0]?.outbox }
    }

    private func addresses(of workers: [WorkerID]) -> [String] {
        workers.compactMap(core.address(of:))
    }

    func workerSummaries() -> [WorkerSummary] {
        core.workerIDs.compactMap { id in
            core.workerInfo(id).map { info in
                WorkerSummary(
                    name: info.spec.name, address: info.spec.address, threads: info.spec.nthreads,
                    memoryLimit: UInt64(max(0, info.spec.memoryLimit)), processing: info.processing, inMemory: info.keys,
                    metrics: connections[id.rawValue]?.worker?.metrics ?? WorkerMetrics())
            }
        }
    }
}

extension ContinuousClock.Instant {
    /// Seconds on a monotonic clock, as the state machine's ticks expect.
    var secondsSinceStart: Double {
        let (seconds, attoseconds) = (self - processStart).components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

private let processStart = ContinuousClock.now
