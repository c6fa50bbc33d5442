import LoomCore
import Foundation
import Testing
@testable import LoomRuntime

// The scheduler's state machine is tested without sockets: a small simulated cluster plays the
// workers (running what it is sent, holding what it computed, dropping what it is told to free)
// and checks every effect is sound, and the state's invariants hold after every event. The
// SchedulerState*Tests suites share it and the helpers here.

/// A task as a client sends it, with the defaults the tests share; each dependency is one key
/// argument. Without an `order`, `submit` numbers the tasks by position, as the client does.
func task(
    _ key: Key, _ dependencies: [Key] = [], function: String = "f", priority: Int = 0, order: Int? = nil,
    retries: Int = 0, allowed: [String] = [], loose: Bool = false, resources: [String: Double] = [:]
) -> WireTask {
    WireTask(
        key: key, function: function, arguments: dependencies.map { .key($0) }, order: order.map(Int64.init) ?? unnumbered,
        priority: Int64(priority), retries: Int64(retries), workers: allowed, allowOtherWorkers: loose, resources: resources)
}

/// The order `task` gives when none is named; `submit` replaces it by the task's position.
private let unnumbered: Int64 = -1

let alice = ClientID(1)
let bob = ClientID(2)

/// What a client heard about a key, last.
enum Outcome: Equatable {
    case memory
    case erred(TaskFailure)
    case lost
    case cancelled
}

/// The scheduler plus simulated workers that do what it says.
struct SimulatedCluster {
    typealias State = SchedulerState
    typealias Effect = SchedulerEffect

    struct Worker {
        var spec: WorkerSpec
        var assigned: [Key: TaskAssignment] = [:]
        /// Keys in the order they were assigned (for "run the oldest first").
        var arrival: [Key] = []
        var held: [Key: Int] = [:]
    }

    var state: State
    var workers: [WorkerID: Worker] = [:]
    var outcomes: [ClientID: [Key: Outcome]] = [:]
    var steals: [(worker: WorkerID, key: Key, runID: Int)] = []
    var rejections: [GraphRejection] = []
    var replications: [(worker: WorkerID, keys: [Key])] = []
    var computeLog: [(worker: WorkerID, key: Key)] = []
    var log: [Effect] = []
    var peakProcessing: [WorkerID: Int] = [:]
    var nextWorker = 1
    var checkInvariants = true

    init(_ configuration: SchedulerConfiguration = SchedulerConfiguration()) {
        state = State(configuration: configuration)
    }

    @discardableResult
    mutating func send(_ event: State.Event) -> [Effect] {
        let effects = state.handle(event)
        log += effects
        for effect in effects { apply(effect) }
        if checkInvariants {
            let problems = state.invariantViolations()
            #expect(problems.isEmpty, "after \(event): \(problems)")
        }
        for id in state.workerIDs {
            peakProcessing[id] = max(peakProcessing[id, default: 0], state.workerInfo(id)?.processing ?? 0)
        }
        return effects
    }

    mutating func apply(_ effect: Effect) {
        switch effect {
        case .compute(let id, let assignment):
            guard workers[id] != nil else {
                Issue.record("compute sent to unknown \(id)")
                return
            }
            #expect(workers[id]?.assigned[assignment.key] == nil, "\(assignment.key) assigned twice to \(id)")
            for dependency in assignment.dependencies {
                #expect(!dependency.holders.isEmpty, "no holder for \(dependency.key)")
                for holder in dependency.holders {
                    #expect(workers[holder]?.held[dependency.key] != nil,
                            "\(assignment.key): \(holder) listed as holding \(dependency.key) but does not")
                }
            }
            workers[id]?.assigned[assignment.key] = assignment
            workers[id]?.arrival.append(assignment.key)
            computeLog.append((id, assignment.key))
        case .freeKeys(let id, let keys):
            #expect(workers[id] != nil, "free sent to unknown \(id)")
            for key in keys {
                workers[id]?.assigned[key] = nil
                workers[id]?.arrival.removeAll { $0 == key }
                workers[id]?.held[key] = nil
            }
        case .stealRequest(let id, let key, let runID):
            steals.append((id, key, runID))
        case .whoHas:
            break
        case .replicate(let id, let keys):
            for (key, holders) in keys {
                #expect(holders.contains { workers[$0]?.held[key] != nil }, "\(id) told to copy \(key) from \(holders), which lack it")
            }
            replications.append((id, keys.keys.sorted()))
        case .keyInMemory(let client, let key, let holders, _):
            #expect(!holders.isEmpty)
            for holder in holders { #expect(workers[holder]?.held[key] != nil, "client told \(holder) holds \(key)") }
            outcomes[client, default: [:]][key] = .memory
        case .keyLost(let client, let key):
            outcomes[client, default: [:]][key] = .lost
        case .taskErred(let client, let failure):
            outcomes[client, default: [:]][failure.key] = .erred(failure)
        case .cancelled(let client, let keys):
            for key in keys { outcomes[client, default: [:]][key] = .cancelled }
        case .graphRejected(_, let rejection):
            rejections.append(rejection)
        }
    }

    @discardableResult
    mutating func join(_ name: String? = nil, nthreads: Int = 1, resources: [String: Double] = [:]) -> WorkerID {
        let id = WorkerID(nextWorker)
        nextWorker += 1
        let name = name ?? "w\(id.rawValue)"
        // Only a name: nothing connects to a simulated worker.
        let hello = Hello(role: .worker, name: name, address: Self.address(of: id), threads: nthreads,
                          memoryLimit: 1 << 30, resources: resources)
        workers[id] = Worker(spec: WorkerSpec(id: id, hello))
        send(.workerJoined(id, hello))
        return id
    }

    mutating func leave(_ id: WorkerID, _ departure: WorkerDeparture = .lost) {
        workers[id] = nil
        send(.workerLeft(id, departure))
    }

    @discardableResult
    mutating func submit(_ client: ClientID, _ tasks: [WireTask], wants: [Key]? = nil) -> [Effect] {
        var numbered = tasks
        for index in numbered.indices where numbered[index].order == unnumbered { numbered[index].order = Int64(index) }
        return send(.updateGraph(client: client, tasks: numbered, wants: wants ?? tasks.map(\.key)))
    }

    /// The address a simulated worker advertises (scattered values name their holders by it).
    static func address(of id: WorkerID) -> String { "tcp://10.0.0.\(id.rawValue):9000" }

    func worker(running key: Key) -> WorkerID? {
        workers.first { $0.value.assigned[key] != nil }?.key
    }

    var assignedKeys: [Key] { workers.values.flatMap { $0.assigned.keys }.sorted() }

    @discardableResult
    mutating func finish(_ key: Key, nbytes: Int = 8, duration: Double = 0.1, function: String? = nil) -> [Effect] {
        guard let id = worker(running: key), let assignment = workers[id]?.assigned.removeValue(forKey: key) else {
            Issue.record("\(key) is not running anywhere")
            return []
        }
        workers[id]?.arrival.removeAll { $0 == key }
        for dependency in assignment.dependencies {
            // What the worker would fetch: some holder it was told about must still have it.
            #expect(dependency.holders.contains { workers[$0]?.held[dependency.key] != nil }
                    || workers[id]?.held[dependency.key] != nil,
                    "\(key) cannot fetch \(dependency.key) from \(dependency.holders)")
        }
        workers[id]?.held[key] = nbytes
        return send(.taskFinished(worker: id, key: key, runID: assignment.runID, nbytes: nbytes, duration: duration, function: function))
    }

    @discardableResult
    mutating func fail(_ key: Key, _ message: String = "boom") -> [Effect] {
        guard let id = worker(running: key), let assignment = workers[id]?.assigned.removeValue(forKey: key) else {
            Issue.record("\(key) is not running anywhere")
            return []
        }
        workers[id]?.arrival.removeAll { $0 == key }
        return send(.taskErred(worker: id, key: key, runID: assignment.runID, message: message))
    }

    /// The running task gives its thread back, as `TaskContext.client()` makes it.
    @discardableResult
    mutating func secede(_ key: Key) -> [Effect] {
        guard let id = worker(running: key), let assignment = workers[id]?.assigned[key] else {
            Issue.record("\(key) is not running anywhere")
            return []
        }
        return send(.taskSeceded(worker: id, key: key, runID: assignment.runID))
    }

    /// Answers the oldest steal request as a worker would: accepted if it still has the task
    /// (and `accept` says so).
    mutating func answerSteal(accept: Bool = true) {
        guard !steals.isEmpty else { return }
        let (id, key, runID) = steals.removeFirst()
        let has = workers[id]?.assigned[key]?.runID == runID
        if has && accept {
            workers[id]?.assigned[key] = nil
            workers[id]?.arrival.removeAll { $0 == key }
        }
        if workers[id] != nil { send(.stealResponse(worker: id, key: key, runID: runID, accepted: has && accept)) }
    }

    /// Finishes assigned tasks, oldest first, until none is left.
    mutating func runAll(limit: Int = 100_000) {
        var steps = 0
        while steps < limit, let key = nextToRun {
            finish(key)
            steps += 1
        }
    }

    /// The oldest task of the first worker (by id) that has one.
    var nextToRun: Key? {
        for id in workers.keys.sorted() {
            if let key = workers[id]?.arrival.first { return key }
        }
        return nil
    }

    /// Carries out the copies asked for, as workers would: fetch, keep, report `keysAdded`.
    mutating func completeReplications() {
        while !replications.isEmpty {
            let (id, keys) = replications.removeFirst()
            var added: [Key: Int] = [:]
            for key in keys {
                guard let nbytes = workers.values.lazy.compactMap({ $0.held[key] }).first else { continue }
                workers[id]?.held[key] = nbytes
                added[key] = nbytes
            }
            send(.keysAdded(worker: id, keys: added))
        }
    }

    func outcome(_ client: ClientID, _ key: Key) -> Outcome? { outcomes[client]?[key] }
    var heldAnywhere: Int { workers.values.reduce(0) { $0 + $1.held.count } }
}

func computes(_ effects: [SimulatedCluster.Effect]) -> [(WorkerID, TaskAssignment)] {
    effects.compactMap { if case .compute(let worker, let assignment) = $0 { (worker, assignment) } else { nil } }
}

func freed(_ effects: [SimulatedCluster.Effect]) -> [(WorkerID, [Key])] {
    effects.compactMap { if case .freeKeys(let worker, let keys) = $0 { (worker, keys) } else { nil } }
}
