import Foundation
import LoomCore

/// The scheduler's state machine, carrying each task's wire form to the worker that runs it.
typealias SchedulerCore = SchedulerState<WireTask>

// Translation between connections and the pure state machine: messages become events, effects
// become messages posted to the right connection's outbox, in order.
extension SchedulerServer {
    func joined(_ connection: Int, _ hello: Hello) {
        switch hello.role {
        case .worker:
            workerFunctions[connection] = hello.functions
            workerNames[connection] = hello.name
            if hello.supervised { supervisedWorkers.insert(connection) }
            workerAddresses[WorkerID(connection)] = hello.address
            lastHeard[WorkerID(connection)] = .now
            let spec = WorkerSpec(
                id: WorkerID(connection), name: hello.name, address: hello.address, nthreads: hello.threads,
                memoryLimit: Int(clamping: hello.memoryLimit), resources: hello.resources)
            for plugin in plugins { plugin.workerAdded(spec) }
            apply(core.handle(.workerJoined(spec)))
            logger.info("worker joined", metadata: ["worker.name": "\(hello.name)", "worker.address": "\(hello.address)"])
        case .client:
            clientJoined(connection, name: hello.name)
        case .peer:
            break
        }
    }

    /// Idempotent: a worker forgotten on purpose may still drop its connection later.
    func left(_ connection: Int, _ hello: Hello, retired: Bool = false) {
        switch hello.role {
        case .worker:
            guard workerNames[connection] != nil else { return }
            workerFunctions[connection] = nil
            supervisedWorkers.remove(connection)
            // Still named while its tasks' transitions reach the plugins.
            apply(core.handle(.workerLeft(WorkerID(connection), retired ? .retired : .lost)))
            workerNames[connection] = nil
            workerAddresses[WorkerID(connection)] = nil
            workerMetrics[WorkerID(connection)] = nil
            lastHeard[WorkerID(connection)] = nil
            for plugin in plugins { plugin.workerRemoved(hello.name, lost: !retired) }
            logger.info("worker left", metadata: ["worker.name": "\(hello.name)"])
        case .client:
            clientLeft(connection)
        case .peer:
            break
        }
    }

    func received(_ batch: [Message], from connection: Int, role: Hello.Role) {
        var effects: [SchedulerCore.Effect] = []
        guard let client = connectionClients[connection] ?? (role == .client ? nil : ClientID(connection)) else {
            // A client's old connection that its reconnection took over: the client asked again
            // there (`stillWaiting`), so what still arrives here is not acted on twice.
            return
        }
        if role == .worker {
            // A worker already retired, restarted or forgotten may still say something: ignore it.
            guard workerNames[connection] != nil else { return }
            lastHeard[WorkerID(connection)] = .now
        }
        for message in batch {
            switch (role, message) {
            case (.worker, .heartbeat(let metrics)):
                let worker = WorkerID(connection)
                let wasPaused = workerMetrics[worker]?.paused ?? false
                workerMetrics[worker] = metrics
                if !plugins.isEmpty, let name = workerNames[connection] {
                    for plugin in plugins { plugin.heartbeat(name, metrics: metrics) }
                }
                if metrics.paused != wasPaused { core.handle(.workerPaused(worker, paused: metrics.paused), into: &effects) }
            case (.worker, .taskFinished(let key, let run, let nbytes, let seconds, let timing)):
                core.handle(.taskFinished(
                    worker: WorkerID(connection), key: key, runID: Int(run), nbytes: Int(clamping: nbytes), duration: seconds, function: nil),
                    into: &effects)
                if core.recordsTransitions {
                    deliverTransitions(finished: (key, workerNames[connection] ?? "?", TaskRun(seconds: seconds, nbytes: Int(clamping: nbytes), timing: timing)))
                }
            case (.worker, .taskFailed(let key, let run, let message)):
                core.handle(.taskErred(worker: WorkerID(connection), key: key, runID: Int(run), message: message), into: &effects)
                if core.recordsTransitions { deliverTransitions(finished: (key, workerNames[connection] ?? "?", nil)) }
            case (.worker, .fetchFailed(let key, let holders)):
                let worker = WorkerID(connection)
                let known = holders.compactMap { holder in workerAddresses.first { $0.value == holder }?.key }
                for holder in known { core.handle(.fetchFailed(worker: worker, key: key, holder: holder), into: &effects) }
                // Holders already gone were handled when they left; if a copy remains, say where.
                if known.isEmpty, core.state(of: key) == .memory {
                    outboxes[connection]?.post(.holders(key: key, addresses: addresses(of: core.holders(of: key))))
                }
            case (.worker, .retireRequest):
                if let name = workerNames[connection] {
                    logger.info("worker reached its lifetime; retiring it", metadata: ["worker.name": "\(name)"])
                    Task { _ = await self.retire(workers: [name]) }
                }
            case (.worker, .keysAdded(let keys)):
                core.handle(.keysAdded(worker: WorkerID(connection), keys: keys.mapValues { Int(clamping: $0) }), into: &effects)
            case (.worker, .stealResponse(let key, let run, let accepted)):
                core.handle(.stealResponse(worker: WorkerID(connection), key: key, runID: Int(run), accepted: accepted), into: &effects)
            case (.client, .updateGraph(let tasks, let wanted, let functions)):
                if let problem = unsupported(functions) {
                    outboxes[connection]?.post(.graphRejected(message: problem))
                    continue
                }
                let submissions = tasks.map { task in
                    TaskSubmission(
                        key: task.key, function: task.function, dependencies: task.dependencies, payload: task,
                        priority: Int(task.priority), order: Int(task.order), retries: Int(task.retries),
                        allowedWorkers: Set(task.workers), resources: task.resources)
                }
                core.handle(.updateGraph(client: client, tasks: submissions, wants: wanted), into: &effects)
            case (.client, .releaseKeys(let keys)):
                core.handle(.releaseKeys(client: client, keys: keys), into: &effects)
            case (.client, .scattered(let values)):
                let workersByAddress = Dictionary(workerAddresses.map { ($1, $0) }) { first, _ in first }
                let keys = values.map { value in
                    ScatteredKey(key: value.key, nbytes: Int(clamping: value.nbytes), holders: value.holders.compactMap { workersByAddress[$0] })
                }
                core.handle(.scatter(client: client, keys: keys), into: &effects)
            case (.client, .cancelKeys(let keys)):
                core.handle(.cancelKeys(client: client, keys: keys), into: &effects)
            case (.client, .stillWaiting(let keys)):
                core.handle(.clientStillWaiting(client: client, keys: keys), into: &effects)
            case (.client, .schedulerInfoRequest(let request)):
                outboxes[connection]?.post(.schedulerInfo(request: request, workers: workerSummaries()))
            case (.client, .pluginRequest(let request, let plugin, let payload)):
                answerPluginRequest(request, plugin: plugin, payload: payload, outbox: outboxes[connection])
            case (.client, .logsRequest(let request, let count)):
                outboxes[connection]?.post(.logs(request: request, records: LogBuffer.shared.recent(Int(clamping: count))))
            case (.client, .closeClient):
                closingClients.insert(connection)
            case (.client, .restart(let request, let timeout)):
                let seconds = timeout.isFinite ? min(max(timeout, 0), 3_600) : 60
                Task { await self.restart(request: request, for: connection, timeout: .seconds(seconds)) }
            case (.client, .whoHas(let request, let keys)):
                let holders = Dictionary(uniqueKeysWithValues: keys.map { ($0, addresses(of: core.holders(of: $0))) })
                outboxes[connection]?.post(.whoHasReply(request: request, holders: holders))
            default:
                logger.info("ignored an unexpected message", metadata: ["connection": "\(connection)", "role": "\(role)"])
            }
        }
        apply(effects)
    }

    func tick() {
        let now = ContinuousClock.now
        apply(core.handle(.tick(now: now.secondsSinceStart)))
        releaseDepartedClients(now: now)
        // Dask's worker-ttl: a worker silent that long is lost even if its connection seems open.
        for (worker, heard) in lastHeard where now - heard > options.workerTTL {
            guard let name = workerNames[worker.rawValue] else { continue }
            logger.warning("worker missed its heartbeats; removing it", metadata: ["worker.name": "\(name)", "silent.seconds": "\((now - heard) / .seconds(1))"])
            outboxes[worker.rawValue]?.close()
            left(worker.rawValue, Hello(role: .worker, name: name))
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
                    task: assignment.payload, holders: holders, run: Int64(assignment.runID),
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
                post(.keyInMemory(key: key, nbytes: UInt64(max(0, nbytes)), holders: addresses(of: holders)), to: clientConnections[client])
            case .keyLost:
                break  // the key is being recomputed; the client keeps waiting
            case .taskErred(let client, let failure):
                post(.taskErred(key: failure.key, function: failure.function, message: failure.message), to: clientConnections[client])
            case .cancelled(let client, let keys):
                if let connection = clientConnections[client] { outboxes[connection]?.post(keys.map { .keyCancelled(key: $0) }) }
            case .graphRejected(let client, let rejection):
                post(.graphRejected(message: rejection.description), to: clientConnections[client])
            }
        }
    }

    private func post(_ message: Message, to connection: Int?) {
        guard let connection else { return }  // a departed client: it hears again if it comes back
        outboxes[connection]?.post(message)
    }

    private func addresses(of workers: [WorkerID]) -> [String] {
        workers.compactMap { workerAddresses[$0] }
    }

    func workerSummaries() -> [WorkerSummary] {
        core.workerIDs.compactMap { id in
            core.workerInfo(id).map { info in
                WorkerSummary(
                    name: info.spec.name, address: info.spec.address, threads: info.spec.nthreads,
                    memoryLimit: UInt64(max(0, info.spec.memoryLimit)), processing: info.processing, inMemory: info.keys,
                    metrics: workerMetrics[id] ?? WorkerMetrics())
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
