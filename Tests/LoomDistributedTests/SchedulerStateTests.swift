import Foundation
import Testing
@testable import LoomDistributed

// The scheduler's state machine, tested without sockets: a small simulated cluster plays the
// workers (running what it is sent, holding what it computed, dropping what it is told to free)
// and checks every effect is sound, and the state's invariants hold after every event.

private typealias State = SchedulerState<String>
private typealias Effect = SchedulerEffect<String>

private func task(
    _ key: String, _ dependencies: [String] = [], function: String = "f", priority: Int = 0, order: Int? = nil,
    retries: Int = 0, allowed: Set<String> = [], resources: [String: Double] = [:]
) -> TaskSubmission<String> {
    TaskSubmission(
        key: key, function: function, dependencies: dependencies, payload: "payload-\(key)", priority: priority,
        order: order, retries: retries, allowedWorkers: allowed, resources: resources)
}

private let alice = ClientID(1)
private let bob = ClientID(2)

/// A deterministic generator (SplitMix64), so a failing random case reproduces.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What a client heard about a key, last.
private enum Outcome: Equatable {
    case memory
    case erred(TaskFailure)
    case lost
    case cancelled
}

/// The scheduler plus simulated workers that do what it says.
private struct Cluster {
    struct Worker {
        var spec: WorkerSpec
        var assigned: [String: TaskAssignment<String>] = [:]
        /// Keys in the order they were assigned (for "run the oldest first").
        var arrival: [String] = []
        var held: [String: Int] = [:]
    }

    var state: State
    var workers: [WorkerID: Worker] = [:]
    var outcomes: [ClientID: [String: Outcome]] = [:]
    var steals: [(worker: WorkerID, key: String, runID: Int)] = []
    var rejections: [GraphRejection] = []
    var replications: [(worker: WorkerID, keys: [String])] = []
    var computeLog: [(worker: WorkerID, key: String)] = []
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
        let spec = WorkerSpec(id: id, name: name, address: "tcp://10.0.0.\(id.rawValue):9000", nthreads: nthreads,
                              memoryLimit: 1 << 30, resources: resources)
        workers[id] = Worker(spec: spec)
        send(.workerJoined(spec))
        return id
    }

    mutating func leave(_ id: WorkerID, _ departure: WorkerDeparture = .lost) {
        workers[id] = nil
        send(.workerLeft(id, departure))
    }

    @discardableResult
    mutating func submit(_ client: ClientID, _ tasks: [TaskSubmission<String>], wants: [String]? = nil) -> [Effect] {
        send(.updateGraph(client: client, tasks: tasks, wants: wants ?? tasks.map(\.key)))
    }

    func worker(running key: String) -> WorkerID? {
        workers.first { $0.value.assigned[key] != nil }?.key
    }

    var assignedKeys: [String] { workers.values.flatMap { $0.assigned.keys }.sorted() }

    @discardableResult
    mutating func finish(_ key: String, nbytes: Int = 8, duration: Double = 0.1, function: String? = nil) -> [Effect] {
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
    mutating func fail(_ key: String, _ message: String = "boom") -> [Effect] {
        guard let id = worker(running: key), let assignment = workers[id]?.assigned.removeValue(forKey: key) else {
            Issue.record("\(key) is not running anywhere")
            return []
        }
        workers[id]?.arrival.removeAll { $0 == key }
        return send(.taskErred(worker: id, key: key, runID: assignment.runID, message: message))
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
    var nextToRun: String? {
        for id in workers.keys.sorted() {
            if let key = workers[id]?.arrival.first { return key }
        }
        return nil
    }

    /// Carries out the copies asked for, as workers would: fetch, keep, report `keysAdded`.
    mutating func completeReplications() {
        while !replications.isEmpty {
            let (id, keys) = replications.removeFirst()
            var added: [String: Int] = [:]
            for key in keys {
                guard let nbytes = workers.values.lazy.compactMap({ $0.held[key] }).first else { continue }
                workers[id]?.held[key] = nbytes
                added[key] = nbytes
            }
            send(.keysAdded(worker: id, keys: added))
        }
    }

    func outcome(_ client: ClientID, _ key: String) -> Outcome? { outcomes[client]?[key] }
    var heldAnywhere: Int { workers.values.reduce(0) { $0 + $1.held.count } }
}

private func computes(_ effects: [Effect]) -> [(WorkerID, TaskAssignment<String>)] {
    effects.compactMap { if case .compute(let worker, let assignment) = $0 { (worker, assignment) } else { nil } }
}

private func freed(_ effects: [Effect]) -> [(WorkerID, [String])] {
    effects.compactMap { if case .freeKeys(let worker, let keys) = $0 { (worker, keys) } else { nil } }
}

// MARK: - Running graphs

@Test func chainRunsInOrderAndFreesIntermediates() throws {
    var cluster = Cluster()
    let w = cluster.join()
    var effects = cluster.submit(alice, [task("a"), task("b", ["a"]), task("c", ["b"])], wants: ["c"])
    #expect(computes(effects).map(\.1.key) == ["a"])
    #expect(cluster.state.state(of: "b") == .waiting)
    #expect(cluster.state.state(of: "c") == .waiting)

    effects = cluster.finish("a", nbytes: 100)
    let b = try #require(computes(effects).first)
    #expect(b.0 == w && b.1.key == "b")
    #expect(b.1.dependencies == [DependencyLocation(key: "a", nbytes: 100, holders: [w])])
    #expect(b.1.payload == "payload-b")
    #expect(freed(effects).isEmpty, "a is still needed by b")

    effects = cluster.finish("b")
    #expect(computes(effects).map(\.1.key) == ["c"])
    #expect(freed(effects).map(\.1) == [["a"]], "a is freed once its only dependent finished")
    #expect(cluster.state.state(of: "a") == .released)

    effects = cluster.finish("c")
    #expect(cluster.outcome(alice, "c") == .memory)
    #expect(effects.contains(.keyInMemory(client: alice, key: "c", holders: [w], nbytes: 8)))
    #expect(cluster.state.holders(of: "c") == [w])

    effects = cluster.send(.releaseKeys(client: alice, keys: ["c"]))
    #expect(freed(effects).flatMap(\.1) == ["c"])
    #expect(cluster.state.taskCount == 0)
    #expect(cluster.heldAnywhere == 0)
}

@Test func treeSumCompletesOnSeveralWorkers() {
    var cluster = Cluster()
    for _ in 0..<3 { cluster.join(nthreads: 2) }
    var submissions: [TaskSubmission<String>] = (0..<32).map { task("leaf-\($0)", function: "load") }
    var level = (0..<32).map { "leaf-\($0)" }
    var depth = 0
    while level.count > 1 {
        depth += 1
        var next: [String] = []
        for pair in stride(from: 0, to: level.count, by: 2) {
            let key = "sum-\(depth)-\(pair / 2)"
            submissions.append(task(key, [level[pair], level[pair + 1]], function: "add"))
            next.append(key)
        }
        level = next
    }
    cluster.submit(alice, submissions, wants: level)
    cluster.runAll()
    #expect(cluster.outcome(alice, level[0]) == .memory)
    #expect(cluster.state.taskCount == submissions.count, "the finished graph is kept until released")
    #expect(cluster.heldAnywhere == 1, "only the wanted root is still held")
    cluster.send(.releaseKeys(client: alice, keys: level))
    #expect(cluster.state.taskCount == 0)
    #expect(cluster.heldAnywhere == 0)
}

@Test func newTasksNobodyNeedsAreCulled() {
    var cluster = Cluster()
    cluster.join()
    cluster.submit(alice, [task("a"), task("b", ["a"]), task("unused"), task("unused-child", ["unused"])], wants: ["b"])
    #expect(cluster.state.state(of: "unused") == .forgotten)
    #expect(cluster.state.state(of: "unused-child") == .forgotten)
    #expect(cluster.state.taskCount == 2)
}

// MARK: - Placement

@Test func placementPrefersTheWorkerHoldingTheData() throws {
    var cluster = Cluster()
    let w1 = cluster.join(), w2 = cluster.join()
    cluster.submit(alice, [task("big"), task("small")])
    #expect(cluster.worker(running: "big") == w1)
    #expect(cluster.worker(running: "small") == w2)
    cluster.finish("big", nbytes: 500_000_000)
    cluster.finish("small", nbytes: 10)

    var effects = cluster.submit(alice, [task("uses-big", ["big"])])
    #expect(computes(effects).first?.0 == w1)
    effects = cluster.submit(alice, [task("uses-small", ["small"])])
    #expect(computes(effects).first?.0 == w2)
    effects = cluster.submit(alice, [task("uses-both", ["big", "small"])])
    let both = try #require(computes(effects).first)
    #expect(both.0 == w1, "moving 10 bytes beats moving 500 MB")
    #expect(Set(both.1.dependencies.map(\.key)) == ["big", "small"])
}

@Test func occupancySpreadsIndependentTasks() {
    var configuration = SchedulerConfiguration()
    configuration.workerSaturation = .infinity
    var cluster = Cluster(configuration)
    let w1 = cluster.join(), w2 = cluster.join()
    cluster.submit(alice, (0..<10).map { task("t\($0)") })
    #expect(cluster.state.workerInfo(w1)?.processing == 5)
    #expect(cluster.state.workerInfo(w2)?.processing == 5)
    #expect(cluster.state.workerInfo(w1)?.occupancy == 2.5, "unknown functions count 0.5 s each")
}

@Test func measuredDurationsDriveOccupancy() {
    var configuration = SchedulerConfiguration()
    configuration.workerSaturation = .infinity
    var cluster = Cluster(configuration)
    let w1 = cluster.join(), w2 = cluster.join()
    cluster.submit(alice, [task("slow-0", function: "slow"), task("fast-0", function: "fast")])
    cluster.finish("slow-0", duration: 4)
    cluster.finish("fast-0", duration: 0.5)
    #expect(cluster.state.expectedDuration(of: "slow") == 4)
    #expect(cluster.state.expectedDuration(of: "fast") == 0.5)
    #expect(cluster.state.expectedDuration(of: "never-ran") == 0.5)

    // One slow task on w1 (4 s) balances eight fast ones (0.5 s each) on w2.
    cluster.submit(alice, [task("slow-1", function: "slow")])
    #expect(cluster.worker(running: "slow-1") == w1)
    cluster.submit(alice, (1...8).map { task("fast-\($0)", function: "fast") })
    #expect(cluster.state.workerInfo(w2)?.processing == 8)
    #expect(cluster.state.workerInfo(w1)?.processing == 1)
    #expect(cluster.state.workerInfo(w2)?.occupancy == 4)
}

// MARK: - Queueing and priorities

@Test func rootTasksQueueWhileWorkersAreSaturated() {
    var cluster = Cluster()
    let w1 = cluster.join(), w2 = cluster.join()
    cluster.submit(alice, (0..<100).map { task("root-\($0)") })
    #expect(cluster.state.count(of: .processing) == 4)
    #expect(cluster.state.count(of: .queued) == 96)
    cluster.runAll()
    #expect(cluster.peakProcessing[w1] == 2, "ceil(1 × 1.1) = 2 tasks per one-thread worker")
    #expect(cluster.peakProcessing[w2] == 2)
    for index in 0..<100 { #expect(cluster.outcome(alice, "root-\(index)") == .memory) }
    #expect(cluster.state.count(of: .queued) == 0)
}

@Test func queueingOffSendsEveryRootTaskAtOnce() {
    var configuration = SchedulerConfiguration()
    configuration.workerSaturation = .infinity
    var cluster = Cluster(configuration)
    cluster.join()
    cluster.submit(alice, (0..<20).map { task("root-\($0)") })
    #expect(cluster.state.count(of: .processing) == 20)
}

@Test func queuedTasksGoOutByPriority() {
    var cluster = Cluster()
    cluster.join()
    // Saturated at 2: the first two of the first submission start at once.
    cluster.submit(alice, (0..<4).map { task("first-\($0)") })
    cluster.submit(alice, (0..<3).map { task("second-\($0)") })
    cluster.submit(bob, (0..<2).map { task("urgent-\($0)", priority: 10) })
    cluster.submit(alice, [task("late-b", order: 2), task("late-a", order: 1)])
    cluster.runAll()
    #expect(cluster.computeLog.map(\.key) == [
        "first-0", "first-1",
        "urgent-0", "urgent-1",          // a higher user priority overtakes
        "first-2", "first-3",            // then first in, first out across submissions
        "second-0", "second-1", "second-2",
        "late-a", "late-b",              // and the client's graph order within one
    ])
}

@Test func dependentsOfFinishedTasksGoBeforeNewRootTasks() {
    var cluster = Cluster()
    cluster.join()
    var submissions: [TaskSubmission<String>] = []
    for index in 0..<4 {
        submissions.append(task("load-\(index)", order: index * 2))
        submissions.append(task("process-\(index)", ["load-\(index)"], order: index * 2 + 1))
    }
    cluster.submit(alice, submissions, wants: (0..<4).map { "process-\($0)" })
    #expect(cluster.computeLog.map(\.key) == ["load-0", "load-1"])
    // process-0 is placed at once (tasks with dependencies always are); the worker is then
    // saturated again, so no new root task goes out until process-0 is done.
    cluster.finish("load-0")
    #expect(cluster.computeLog.map(\.key) == ["load-0", "load-1", "process-0"])
    cluster.finish("process-0")
    #expect(cluster.computeLog.map(\.key).last == "load-2")
}

// MARK: - Restrictions and resources

@Test func restrictionsPinTasksToNamedWorkers() {
    var cluster = Cluster()
    let w1 = cluster.join("alpha"), w2 = cluster.join("beta")
    cluster.submit(alice, [task("on-beta", allowed: ["beta"])])
    #expect(cluster.worker(running: "on-beta") == w2)
    cluster.submit(alice, [task("by-address", allowed: ["tcp://10.0.0.1:9000"])])
    #expect(cluster.worker(running: "by-address") == w1)
    cluster.submit(alice, [task("on-gamma", allowed: ["gamma"])])
    #expect(cluster.state.state(of: "on-gamma") == .noWorker)
    let w3 = cluster.join("gamma")
    #expect(cluster.worker(running: "on-gamma") == w3)
    cluster.leave(w3)
    #expect(cluster.state.state(of: "on-gamma") == .noWorker, "its only allowed worker died")
}

@Test func resourcesAreReservedWhileTasksRun() {
    var cluster = Cluster()
    let plain = cluster.join("plain", nthreads: 4)
    let gpu = cluster.join("gpu", nthreads: 4, resources: ["GPU": 2])
    cluster.submit(alice, (0..<5).map { task("train-\($0)", resources: ["GPU": 1]) })
    #expect(cluster.state.workerInfo(gpu)?.processing == 2)
    #expect(cluster.state.workerInfo(gpu)?.availableResources["GPU"] == 0)
    #expect(cluster.state.workerInfo(plain)?.processing == 0)
    #expect(cluster.state.count(of: .queued) == 3, "they wait for a GPU to free up")

    cluster.finish("train-0")
    #expect(cluster.state.workerInfo(gpu)?.processing == 2)
    cluster.fail("train-1")
    #expect(cluster.state.workerInfo(gpu)?.processing == 2, "an error frees the resource too")
    cluster.runAll()
    #expect(cluster.state.workerInfo(gpu)?.availableResources["GPU"] == 2)
    #expect(cluster.state.count(of: .queued) == 0)

    cluster.submit(alice, [task("needs-3", resources: ["GPU": 3])])
    #expect(cluster.state.state(of: "needs-3") == .noWorker, "no worker has three GPUs")
    let big = cluster.join("big", resources: ["GPU": 8])
    #expect(cluster.worker(running: "needs-3") == big)
}

@Test func pausedWorkersGetNoNewTasks() {
    var cluster = Cluster()
    let w1 = cluster.join()
    cluster.send(.workerPaused(w1, paused: true))
    cluster.submit(alice, [task("root"), task("child", ["root"])])
    #expect(cluster.state.state(of: "root") == .queued)
    cluster.send(.workerPaused(w1, paused: false))
    #expect(cluster.worker(running: "root") == w1)
    cluster.send(.workerPaused(w1, paused: true))
    cluster.finish("root")
    #expect(cluster.state.state(of: "child") == .noWorker)
    cluster.send(.workerPaused(w1, paused: false))
    #expect(cluster.worker(running: "child") == w1)
}

// MARK: - Worker loss

@Test func processingTasksOfALostWorkerAreRescheduled() {
    var cluster = Cluster()
    let w1 = cluster.join()
    cluster.submit(alice, [task("a")])
    #expect(cluster.worker(running: "a") == w1)
    cluster.leave(w1)
    #expect(cluster.state.state(of: "a") == .noWorker)
    let w2 = cluster.join()
    #expect(cluster.worker(running: "a") == w2)
    cluster.finish("a")
    #expect(cluster.outcome(alice, "a") == .memory)
}

@Test func lostValuesAreRecomputedTransitively() throws {
    var cluster = Cluster()
    let w1 = cluster.join("one"), w2 = cluster.join("two")
    cluster.submit(alice, [
        task("a", allowed: ["one"]), task("b", ["a"], allowed: ["one"]), task("c", ["b"], allowed: ["two"]),
    ], wants: ["b", "c"])
    cluster.finish("a")
    cluster.finish("b")
    #expect(cluster.state.state(of: "a") == .released, "a was freed once b had it")
    #expect(cluster.worker(running: "c") == w2)

    // w1 dies holding the only copy of b: c cannot fetch it, so it is cancelled; b is computed
    // again, which needs a again.
    cluster.workers[w1] = nil
    let effects = cluster.send(.workerLeft(w1, .lost))
    #expect(freed(effects).map(\.0) == [w2])
    #expect(freed(effects).flatMap(\.1) == ["c"])
    #expect(cluster.outcome(alice, "b") == .lost)
    #expect(cluster.state.state(of: "c") == .waiting)
    #expect(cluster.state.state(of: "b") == .waiting)
    #expect(cluster.state.state(of: "a") == .noWorker, "a may only run on 'one'")

    let w3 = cluster.join("one")
    #expect(cluster.worker(running: "a") == w3)
    cluster.finish("a")
    cluster.finish("b")
    #expect(cluster.worker(running: "c") == w2)
    cluster.finish("c")
    #expect(cluster.outcome(alice, "b") == .memory)
    #expect(cluster.outcome(alice, "c") == .memory)
    #expect(cluster.state.holders(of: "b") == [w3])
}

@Test func aReplicaSurvivesItsFirstHolder() {
    var cluster = Cluster()
    let w1 = cluster.join(), w2 = cluster.join()
    cluster.submit(alice, [task("a")])
    cluster.finish("a")
    cluster.workers[w2]?.held["a"] = 8
    cluster.send(.keysAdded(worker: w2, keys: ["a": 8]))
    #expect(Set(cluster.state.holders(of: "a")) == [w1, w2])
    cluster.leave(w1)
    #expect(cluster.state.state(of: "a") == .memory)
    #expect(cluster.state.holders(of: "a") == [w2])
    #expect(cluster.outcome(alice, "a") == .memory)
}

@Test func aTaskThatKillsThreeWorkersErrs() throws {
    var cluster = Cluster()
    cluster.submit(alice, [task("crasher", function: "segfault"), task("after", ["crasher"])], wants: ["crasher", "after"])
    for death in 1...3 {
        let worker = cluster.join()
        #expect(cluster.worker(running: "crasher") == worker)
        cluster.leave(worker)
        #expect(cluster.state.state(of: "crasher") == (death < 3 ? .noWorker : .erred))
    }
    guard case .erred(let failure) = cluster.outcome(alice, "crasher") else {
        Issue.record("the client was not told")
        return
    }
    #expect(failure.killedWorker)
    #expect(failure.failedKey == "crasher")
    #expect(failure.message.contains("KilledWorker"))
    #expect(failure.message.contains("'crasher'"))
    #expect(failure.message.contains("3 workers"))
    guard case .erred(let after) = cluster.outcome(alice, "after") else {
        Issue.record("the dependent did not err")
        return
    }
    #expect(after.failedKey == "crasher")
    #expect(after.message.hasPrefix("dependency 'crasher' failed: KilledWorker"))
}

@Test func suspiciousTasksRunAloneSoBystandersAreNotBlamed() throws {
    var cluster = Cluster()
    cluster.submit(alice, [task("crasher", function: "segfault"), task("bystander")], wants: ["crasher", "bystander"])
    let first = cluster.join(nthreads: 2)
    #expect(cluster.worker(running: "crasher") == first && cluster.worker(running: "bystander") == first)
    cluster.leave(first)  // both were there; either may have done it
    // From now on each runs alone: two workers, one task each, nothing else sent to them.
    let one = cluster.join(nthreads: 2), two = cluster.join(nthreads: 2)
    let crasherHome = try #require(cluster.worker(running: "crasher"))
    let bystanderHome = try #require(cluster.worker(running: "bystander"))
    #expect(crasherHome != bystanderHome && Set([crasherHome, bystanderHome]) == [one, two])
    cluster.submit(alice, [task("newcomer")], wants: ["newcomer"])
    #expect(cluster.worker(running: "newcomer") == nil, "nothing joins a worker running a suspicious task")
    cluster.finish("bystander")
    #expect(cluster.worker(running: "newcomer") == bystanderHome)
    cluster.leave(crasherHome)
    #expect(cluster.worker(running: "crasher") == nil, "the only worker left is busy with the newcomer")
    let third = cluster.join(nthreads: 2)
    #expect(cluster.worker(running: "crasher") == third)
    cluster.leave(third)
    guard case .erred(let failure) = cluster.outcome(alice, "crasher") else {
        Issue.record("the crasher was not blamed after three deaths"); return
    }
    #expect(failure.killedWorker)
    #expect(cluster.outcome(alice, "bystander") == .memory)
}

@Test func retiredWorkersDoNotCountTowardsKilledWorker() {
    var cluster = Cluster()
    cluster.submit(alice, [task("a")])
    for _ in 1...5 {
        let worker = cluster.join()
        cluster.leave(worker, .retired)
    }
    #expect(cluster.state.state(of: "a") == .noWorker)
}

@Test func fetchFailuresTellTheWorkerWhoElseHasTheData() throws {
    var cluster = Cluster()
    let w1 = cluster.join(), w2 = cluster.join(), w3 = cluster.join()
    cluster.submit(alice, [task("a")])
    cluster.finish("a")
    cluster.workers[w2]?.held["a"] = 8
    cluster.send(.keysAdded(worker: w2, keys: ["a": 8]))
    // w3 could not get a from w1: the scheduler points it to w2.
    cluster.workers[w1]?.held["a"] = nil
    var effects = cluster.send(.fetchFailed(worker: w3, key: "a", holder: w1))
    #expect(effects == [.whoHas(worker: w3, key: "a", holders: [w2])])
    // And when w2 lost it too, a is computed again.
    cluster.workers[w2]?.held["a"] = nil
    effects = cluster.send(.keysLost(worker: w2, keys: ["a"]))
    #expect(cluster.outcome(alice, "a") == .lost)
    #expect(computes(effects).map(\.1.key) == ["a"])
}

// MARK: - Errors and retries

@Test func retriesRunAFailingTaskAgain() throws {
    var cluster = Cluster()
    cluster.join()
    cluster.submit(alice, [task("flaky", retries: 2), task("fragile", retries: 1)])
    cluster.fail("flaky")
    cluster.fail("flaky")
    #expect(cluster.state.state(of: "flaky") == .processing)
    cluster.finish("flaky")
    #expect(cluster.outcome(alice, "flaky") == .memory)

    cluster.fail("fragile", "first")
    cluster.fail("fragile", "second")
    #expect(cluster.outcome(alice, "fragile") == .erred(TaskFailure(key: "fragile", function: "f", failedKey: "fragile", cause: "second")))
}

@Test func errorsPropagateToDependentsNamingTheFailedKey() throws {
    var cluster = Cluster()
    cluster.join()
    cluster.submit(alice, [task("ok"), task("bad", function: "parse"), task("mid", ["bad", "ok"], function: "join"),
                           task("top", ["mid"], function: "report")], wants: ["top"])
    cluster.finish("ok")
    cluster.fail("bad", "ValueError: not a number")
    #expect(cluster.state.state(of: "bad") == .erred)
    #expect(cluster.state.state(of: "mid") == .erred)
    #expect(cluster.state.state(of: "top") == .erred)
    #expect(cluster.state.state(of: "ok") == .released, "nothing needs ok any more")
    let failure = TaskFailure(key: "top", function: "report", failedKey: "bad", cause: "ValueError: not a number")
    #expect(cluster.outcome(alice, "top") == .erred(failure))
    #expect(failure.message == "dependency 'bad' failed: ValueError: not a number")
    #expect(cluster.state.failure(of: "mid")?.function == "join")

    // A new task on top of an erred one errs at once; so does wanting an erred key.
    let effects = cluster.submit(bob, [task("later", ["mid"])], wants: ["later", "bad"])
    #expect(effects.contains(.taskErred(client: bob, TaskFailure(key: "bad", function: "parse", failedKey: "bad", cause: "ValueError: not a number"))))
    #expect(cluster.outcome(bob, "later") == .erred(TaskFailure(key: "later", function: "f", failedKey: "bad", cause: "ValueError: not a number")))

    cluster.send(.clientLeft(bob))
    cluster.send(.releaseKeys(client: alice, keys: ["top"]))
    #expect(cluster.state.taskCount == 0)
}

// MARK: - Releasing, sharing, cancelling

@Test func releasingWhileProcessingCancelsOnTheWorker() {
    var cluster = Cluster()
    let w = cluster.join()
    cluster.submit(alice, [task("a"), task("b", ["a"])], wants: ["b"])
    let effects = cluster.send(.releaseKeys(client: alice, keys: ["b"]))
    #expect(freed(effects).map(\.0) == [w])
    #expect(freed(effects).flatMap(\.1) == ["a"])
    #expect(cluster.state.taskCount == 0)
    #expect(cluster.assignedKeys.isEmpty)
    // A late report of the cancelled run is refused: the worker is told to drop the value.
    let late = cluster.state.handle(.taskFinished(worker: w, key: "a", runID: 1, nbytes: 8, duration: 1, function: nil))
    #expect(late == [.freeKeys(worker: w, keys: ["a"])])
}

@Test func twoClientsShareAKey() {
    var cluster = Cluster()
    let w = cluster.join()
    cluster.submit(alice, [task("shared")])
    cluster.submit(bob, [TaskSubmission(key: "shared", function: "other", payload: "ignored")])
    #expect(cluster.computeLog.count == 1, "the known key is reused, not recomputed")
    cluster.finish("shared")
    #expect(cluster.outcome(alice, "shared") == .memory)
    #expect(cluster.outcome(bob, "shared") == .memory)

    var effects = cluster.send(.releaseKeys(client: alice, keys: ["shared"]))
    #expect(freed(effects).isEmpty, "bob still wants it")
    effects = cluster.submit(alice, [task("shared")])
    #expect(effects == [.keyInMemory(client: alice, key: "shared", holders: [w], nbytes: 8)])
    // Wants count: alice wants it once more, bob once.
    cluster.send(.releaseKeys(client: bob, keys: ["shared"]))
    #expect(cluster.state.state(of: "shared") == .memory)
    effects = cluster.send(.releaseKeys(client: alice, keys: ["shared"]))
    #expect(freed(effects).flatMap(\.1) == ["shared"])
    #expect(cluster.state.taskCount == 0)
}

@Test func aClientWantingAKeyTwiceReleasesItTwice() {
    var cluster = Cluster()
    cluster.join()
    cluster.submit(alice, [task("x")], wants: ["x", "x"])
    #expect(cluster.state.wantCount(of: "x", by: alice) == 2)
    cluster.send(.releaseKeys(client: alice, keys: ["x"]))
    #expect(cluster.state.state(of: "x") == .processing)
    cluster.send(.releaseKeys(client: alice, keys: ["x"]))
    #expect(cluster.state.state(of: "x") == .forgotten)
}

@Test func leavingClientsReleaseTheirKeys() {
    var cluster = Cluster()
    cluster.join()
    cluster.send(.clientJoined(alice))
    cluster.submit(alice, [task("a"), task("b", ["a"])])
    cluster.runAll()
    cluster.send(.clientLeft(alice))
    #expect(cluster.state.taskCount == 0)
    #expect(cluster.heldAnywhere == 0)
    #expect(cluster.state.clientIDs.isEmpty)
}

@Test func cancellingTellsTheClientAndStopsTheWork() {
    var cluster = Cluster()
    let w = cluster.join()
    cluster.submit(alice, [task("a"), task("b", ["a"]), task("c", ["b"])], wants: ["a", "c"])
    cluster.submit(bob, [], wants: ["a"])
    let effects = cluster.send(.cancelKeys(client: alice, keys: ["a"]))
    #expect(effects.contains(.cancelled(client: alice, keys: ["a", "c"])))
    #expect(cluster.outcome(alice, "c") == .cancelled)
    #expect(cluster.state.state(of: "a") == .processing, "bob still wants a")
    #expect(cluster.state.state(of: "c") == .forgotten)
    let bobs = cluster.send(.cancelKeys(client: bob, keys: ["a"]))
    #expect(bobs.contains(.cancelled(client: bob, keys: ["a"])))
    #expect(bobs.contains(.freeKeys(worker: w, keys: ["a"])))
    #expect(cluster.state.taskCount == 0)
}

// MARK: - Stealing

private func stealingCluster() -> (Cluster, WorkerID) {
    var configuration = SchedulerConfiguration()
    configuration.workerSaturation = .infinity
    var cluster = Cluster(configuration)
    let w1 = cluster.join()
    cluster.submit(alice, (0..<6).map { task("t\($0)") })
    return (cluster, w1)
}

@Test func idleWorkersStealFromSaturatedOnes() throws {
    var (cluster, w1) = stealingCluster()
    #expect(cluster.state.workerInfo(w1)?.processing == 6)
    cluster.send(.tick(now: 1))
    #expect(cluster.steals.isEmpty, "nobody to steal for")

    let w2 = cluster.join()
    cluster.send(.tick(now: 2))
    // The tasks that would run last go: w2 takes one per thread it has.
    #expect(cluster.steals.map(\.key) == ["t5"])
    #expect(cluster.steals.allSatisfy { $0.worker == w1 })
    cluster.send(.tick(now: 2.1))
    #expect(cluster.steals.count == 1, "a task already asked for is not asked for again")

    cluster.answerSteal(accept: true)
    #expect(cluster.worker(running: "t5") == w2)
    #expect(cluster.state.workerInfo(w1)?.processing == 5)
    #expect(cluster.state.workerInfo(w2)?.processing == 1)
    cluster.runAll()
    for index in 0..<6 { #expect(cluster.outcome(alice, "t\(index)") == .memory) }
}

@Test func aRejectedStealLeavesTheTaskWhereItIs() {
    var (cluster, w1) = stealingCluster()
    let w2 = cluster.join()
    cluster.send(.tick(now: 1))
    let key = cluster.steals.first?.key ?? ""
    cluster.answerSteal(accept: false)
    #expect(cluster.worker(running: key) == w1)
    #expect(cluster.state.workerInfo(w2)?.processing == 0)
    #expect(cluster.state.worker(processing: key) == w1)
    cluster.runAll()
    #expect(cluster.outcome(alice, key) == .memory)
}

@Test func aStealAnsweredAfterTheTaskFinishedIsIgnored() {
    var (cluster, w1) = stealingCluster()
    let w2 = cluster.join()
    cluster.send(.tick(now: 1))
    let (_, key, runID) = cluster.steals.removeFirst()
    cluster.finish(key)
    let effects = cluster.send(.stealResponse(worker: w1, key: key, runID: runID, accepted: true))
    #expect(effects.isEmpty)
    #expect(cluster.state.state(of: key) == .memory)
    #expect(cluster.state.workerInfo(w2)?.processing == 0)
}

@Test func stealingSkipsTasksWhoseDataIsTooCostlyToMove() {
    var configuration = SchedulerConfiguration()
    configuration.workerSaturation = .infinity
    var cluster = Cluster(configuration)
    cluster.join()
    cluster.submit(alice, [task("huge")])
    cluster.finish("huge", nbytes: 10_000_000_000)  // 100 s to move
    cluster.submit(alice, (0..<4).map { task("use-\($0)", ["huge"]) })
    cluster.join()
    cluster.send(.tick(now: 1))
    #expect(cluster.steals.isEmpty)
}

@Test func aThiefThatLeavesBeforeTheAnswerDoesNotGetTheTask() {
    var (cluster, _) = stealingCluster()
    let w2 = cluster.join()
    cluster.send(.tick(now: 1))
    let key = cluster.steals.first?.key ?? ""
    cluster.leave(w2)
    let w3 = cluster.join()
    cluster.answerSteal(accept: true)
    #expect(cluster.worker(running: key) == w3, "placed afresh on the best worker")
    cluster.runAll()
    #expect(cluster.outcome(alice, key) == .memory)
}

// MARK: - Bad graphs and scattered data

@Test func unknownDependenciesAreReportedNotFatal() throws {
    var cluster = Cluster()
    cluster.join()
    let effects = cluster.submit(alice, [task("b", ["nope"]), task("c", ["b"]), task("d")], wants: ["c", "d", "ghost"])
    let rejection = try #require(cluster.rejections.first)
    #expect(rejection.missingKeys == ["nope", "ghost"])
    #expect(rejection.rejectedKeys == ["b", "c"])
    #expect(rejection.description.contains("'nope'"))
    #expect(effects.contains { $0.client == alice })
    #expect(cluster.state.state(of: "b") == .forgotten)
    cluster.runAll()
    #expect(cluster.outcome(alice, "d") == .memory)
}

@Test func dependencyCyclesAreRejected() throws {
    var cluster = Cluster()
    cluster.join()
    cluster.submit(alice, [task("x", ["y"]), task("y", ["x"]), task("after", ["x"]), task("fine"), task("self", ["self"])])
    let rejection = try #require(cluster.rejections.first)
    #expect(rejection.cycleKeys == ["after", "self", "x", "y"])
    #expect(rejection.missingKeys.isEmpty)
    #expect(cluster.state.taskCount == 1)
    cluster.runAll()
    #expect(cluster.outcome(alice, "fine") == .memory)
}

@Test func graphsOutOfTopologicalOrderAreFine() {
    var cluster = Cluster()
    cluster.join()
    cluster.submit(alice, [task("c", ["b"]), task("b", ["a"]), task("a")], wants: ["c"])
    #expect(cluster.rejections.isEmpty)
    cluster.runAll()
    #expect(cluster.outcome(alice, "c") == .memory)
}

@Test func scatteredDataFeedsTasksAndErrsWhenLost() throws {
    var cluster = Cluster()
    let w1 = cluster.join(), w2 = cluster.join()
    cluster.workers[w2]?.held["data"] = 1_000_000
    cluster.send(.scatter(client: alice, keys: [ScatteredKey(key: "data", nbytes: 1_000_000, holders: [w2])]))
    #expect(cluster.state.state(of: "data") == .memory)
    cluster.submit(alice, [task("use", ["data"]), task("other")])
    #expect(cluster.worker(running: "use") == w2)
    #expect(cluster.worker(running: "other") == w1)
    cluster.leave(w2)
    guard case .erred(let failure) = cluster.outcome(alice, "data") else {
        Issue.record("scattered data lost without a word")
        return
    }
    #expect(failure.message.contains("no recipe"))
    guard case .erred(let use) = cluster.outcome(alice, "use") else {
        Issue.record("its dependent did not err")
        return
    }
    #expect(use.failedKey == "data")
}

@Test func staleReportsAreIgnored() {
    var cluster = Cluster()
    let w1 = cluster.join()
    cluster.submit(alice, [task("a", retries: 1)])
    let first = cluster.workers[w1]?.assigned["a"]?.runID ?? 0
    cluster.fail("a")
    let second = cluster.workers[w1]?.assigned["a"]?.runID ?? 0
    #expect(second != first)
    let stale = cluster.state.handle(.taskFinished(worker: w1, key: "a", runID: first, nbytes: 8, duration: 1, function: nil))
    #expect(stale.isEmpty)
    #expect(cluster.state.state(of: "a") == .processing)
    #expect(cluster.state.handle(.taskFinished(worker: WorkerID(99), key: "a", runID: second, nbytes: 8, duration: 1, function: nil)).isEmpty)
}

@Test func wideFanOutAndFanInWork() {
    var cluster = Cluster()
    cluster.join(nthreads: 4)
    cluster.join(nthreads: 4)
    // One shared key with 100 dependents (a set inside), and one task reading 40 keys.
    var submissions = [task("shared")]
    submissions += (0..<100).map { task("use-\($0)", ["shared"]) }
    submissions.append(task("gather", (0..<40).map { "use-\($0)" } + ["use-0", "shared"]))
    cluster.submit(alice, submissions, wants: ["gather"] + (40..<100).map { "use-\($0)" })
    cluster.runAll()
    #expect(cluster.outcome(alice, "gather") == .memory)
    #expect(cluster.state.state(of: "use-0") == .released)
    #expect(cluster.state.state(of: "shared") == .released, "every dependent is done with it")
    cluster.send(.releaseKeys(client: alice, keys: (40..<100).map { "use-\($0)" }))
    #expect(cluster.state.taskCount == 42, "gather's recipe is kept while it is wanted")
    cluster.send(.releaseKeys(client: alice, keys: ["gather"]))
    #expect(cluster.state.taskCount == 0)
    #expect(cluster.heldAnywhere == 0)
}

@Test func tasksWaitForAWorkerWhenThereIsNone() {
    var cluster = Cluster()
    cluster.submit(alice, (0..<10).map { task("root-\($0)") } + [task("child", ["root-0"])], wants: nil)
    #expect(cluster.state.count(of: .noWorker) == 10)
    cluster.join()
    #expect(cluster.state.count(of: .processing) == 2)
    #expect(cluster.state.count(of: .queued) == 8)
    cluster.runAll()
    #expect(cluster.outcome(alice, "child") == .memory)
}

@Test func scatteringAKeyThatIsComputingReplacesTheComputation() {
    var cluster = Cluster()
    let w1 = cluster.join(), w2 = cluster.join()
    cluster.submit(alice, [task("x"), task("y", ["x"])], wants: ["y"])
    #expect(cluster.worker(running: "x") == w1)
    cluster.workers[w2]?.held["x"] = 64
    let effects = cluster.send(.scatter(client: bob, keys: [ScatteredKey(key: "x", nbytes: 64, holders: [w2])]))
    #expect(freed(effects).flatMap(\.1) == ["x"], "the computation of x is cancelled")
    #expect(cluster.worker(running: "y") == w2, "y runs where the scattered x is")
    // Scattering it again onto w1 adds a copy.
    cluster.workers[w1]?.held["x"] = 64
    cluster.send(.scatter(client: bob, keys: [ScatteredKey(key: "x", nbytes: 64, holders: [w1])]))
    #expect(Set(cluster.state.holders(of: "x")) == [w1, w2])
    #expect(cluster.state.wantCount(of: "x", by: bob) == 2)
    // A copy lost from the second holder leaves the first.
    cluster.workers[w1]?.held["x"] = nil
    cluster.send(.keysLost(worker: w1, keys: ["x"]))
    #expect(cluster.state.holders(of: "x") == [w2])
}

@Test func stealingRespectsRestrictionsAndResources() {
    var configuration = SchedulerConfiguration()
    configuration.workerSaturation = .infinity
    var cluster = Cluster(configuration)
    let w1 = cluster.join("gpu-1", resources: ["GPU": 4])
    cluster.submit(alice, (0..<4).map { task("pinned-\($0)", allowed: ["gpu-1"]) })
    cluster.submit(alice, (0..<4).map { task("train-\($0)", resources: ["GPU": 1]) })
    #expect(cluster.state.workerInfo(w1)?.processing == 8)
    cluster.join("plain")
    cluster.send(.tick(now: 1))
    #expect(cluster.steals.isEmpty, "the new worker may run none of them")

    let w3 = cluster.join("gpu-2", resources: ["GPU": 1])
    cluster.send(.tick(now: 2))
    #expect(cluster.steals.map(\.key) == ["train-3"])
    cluster.answerSteal()
    #expect(cluster.worker(running: "train-3") == w3)
    #expect(cluster.state.workerInfo(w1)?.availableResources["GPU"] == 1, "the victim's GPU is free again")
    #expect(cluster.state.workerInfo(w3)?.availableResources["GPU"] == 0)
}

// MARK: - Random graphs

/// Random graphs, finish orders, failures, worker joins and deaths and steals: every wanted key
/// always ends in memory or erred, the client is told which, and once everything is released
/// the scheduler and the workers hold nothing.
@Test(arguments: 0..<200)
func randomGraphsNeverGetStuck(seed: Int) {
    var random = SplitMix(state: UInt64(seed) &* 0x1234_5678_9ABC)
    var configuration = SchedulerConfiguration()
    configuration.workerSaturation = Bool.random(using: &random) ? 1.1 : .infinity
    configuration.allowedFailures = Int.random(in: 2...4, using: &random)
    var cluster = Cluster(configuration)
    let names = ["n0", "n1", "n2", "n3"]
    func joinRandom(_ cluster: inout Cluster, _ random: inout SplitMix) {
        let name = names.randomElement(using: &random)!
        cluster.join(name, nthreads: Int.random(in: 1...3, using: &random),
                     resources: name == "n3" ? ["R": 2] : [:])
    }
    for _ in 0..<Int.random(in: 0...3, using: &random) { joinRandom(&cluster, &random) }

    // Graphs: each task depends on up to three earlier ones; some are restricted, need the
    // resource, have retries or a priority; several updates from two clients, sharing keys.
    let count = Int.random(in: 20...80, using: &random)
    var all: [TaskSubmission<String>] = []
    for index in 0..<count {
        var dependencies: [String] = []
        if index > 0 {
            for _ in 0..<Int.random(in: 0...3, using: &random) { dependencies.append("k\(Int.random(in: 0..<index, using: &random))") }
        }
        let roll = Int.random(in: 0..<20, using: &random)
        all.append(task(
            "k\(index)", dependencies, function: ["f", "g", "h"].randomElement(using: &random)!,
            priority: roll == 0 ? 5 : 0, retries: roll == 1 ? 2 : 0,
            allowed: roll == 2 ? [names.randomElement(using: &random)!] : [],
            resources: roll == 3 ? ["R": 1] : [:]))
    }
    var wanted: [ClientID: [String]] = [:]
    var start = 0
    while start < count {
        let end = min(count, start + Int.random(in: 5...40, using: &random))
        let client = Bool.random(using: &random) ? alice : bob
        let slice = Array(all[start..<end])
        let wants = slice.map(\.key).filter { _ in Int.random(in: 0..<3, using: &random) == 0 } + [slice.last!.key]
        wanted[client, default: []] += wants
        // Sometimes resubmit an earlier key (it must be reused) and shuffle the order.
        // Like a client, send the tasks' dependencies along (known keys are reused, culled ones
        // come back), sometimes an unrelated earlier key too, in shuffled order.
        var tasks = slice
        if start > 0, Bool.random(using: &random) { tasks.append(all[Int.random(in: 0..<start, using: &random)]) }
        var included = Set(tasks.map(\.key))
        var pending = tasks.flatMap(\.dependencies)
        while let key = pending.popLast() {
            guard included.insert(key).inserted, let index = Int(key.dropFirst()) else { continue }
            tasks.append(all[index])
            pending += all[index].dependencies
        }
        tasks.shuffle(using: &random)
        cluster.submit(client, tasks, wants: wants)
        start = end
    }
    #expect(cluster.rejections.isEmpty)

    // Chaos.
    var failed = 0
    for _ in 0..<3_000 {
        let roll = Int.random(in: 0..<100, using: &random)
        let assigned = cluster.assignedKeys
        if roll < 60, let key = assigned.randomElement(using: &random) {
            cluster.finish(key, nbytes: Int.random(in: 1...1_000_000, using: &random), duration: Double.random(in: 0...2, using: &random))
        } else if roll < 64, let key = assigned.randomElement(using: &random) {
            failed += 1
            cluster.fail(key, "failure \(failed)")
        } else if roll < 67, let worker = cluster.workers.keys.sorted().randomElement(using: &random) {
            cluster.leave(worker, Int.random(in: 0..<4, using: &random) == 0 ? .retired : .lost)
        } else if roll < 72 || cluster.workers.isEmpty {
            joinRandom(&cluster, &random)
        } else if roll < 82 {
            cluster.send(.tick(now: Double(roll)))
        } else if roll < 94 {
            cluster.answerSteal(accept: Bool.random(using: &random))
        } else if roll < 96, let worker = cluster.workers.keys.sorted().randomElement(using: &random) {
            cluster.send(.workerPaused(worker, paused: Bool.random(using: &random)))
        } else if roll < 97, let (client, keys) = wanted.randomElement(using: &random), let key = keys.randomElement(using: &random) {
            cluster.send(.releaseKeys(client: client, keys: [key]))
            wanted[client]?.remove(at: keys.firstIndex(of: key)!)
        }
        if cluster.state.count(of: .waiting) + cluster.state.count(of: .queued) + cluster.state.count(of: .processing)
            + cluster.state.count(of: .noWorker) == 0 { break }
    }

    // Calm: every kind of worker present, nobody dies, everything runs to the end.
    for worker in cluster.workers.keys.sorted() { cluster.send(.workerPaused(worker, paused: false)) }
    for name in names { cluster.join(name, resources: name == "n3" ? ["R": 2] : [:]) }
    while !cluster.steals.isEmpty { cluster.answerSteal(accept: Bool.random(using: &random)) }
    cluster.runAll()
    #expect(cluster.assignedKeys.isEmpty)
    for state in [TaskState.waiting, .queued, .processing, .noWorker] {
        #expect(cluster.state.count(of: state) == 0, "seed \(seed): tasks stuck in \(state)")
    }
    for (client, keys) in wanted {
        for key in keys {
            let state = cluster.state.state(of: key)
            #expect(state == .memory || state == .erred, "seed \(seed): wanted \(key) ended \(state)")
            switch (state, cluster.outcome(client, key)) {
            case (.memory, .memory?), (.erred, .erred?): break
            case (let state, let outcome): Issue.record("seed \(seed): \(client) heard \(String(describing: outcome)) of \(key) in \(state)")
            }
        }
    }

    cluster.send(.clientLeft(alice))
    cluster.send(.clientLeft(bob))
    #expect(cluster.state.taskCount == 0, "seed \(seed): records left behind")
    #expect(cluster.heldAnywhere == 0, "seed \(seed): values left on workers")
}

// MARK: - Scale

@Test func aLargeGraphSettlesWithoutScanning() {
    var cluster = Cluster()
    cluster.checkInvariants = false
    let w1 = cluster.join(nthreads: 4)
    var submissions: [TaskSubmission<String>] = []
    submissions.reserveCapacity(20_000)
    for index in 0..<10_000 { submissions.append(task("x\(index)")) }
    for index in 0..<10_000 { submissions.append(task("y\(index)", ["x\(index)"])) }
    cluster.submit(alice, submissions, wants: (0..<10_000).map { "y\($0)" })
    #expect(cluster.state.workerInfo(w1)?.processing == 5)
    cluster.runAll(limit: 1_000_000)
    #expect(cluster.state.count(of: .memory) == 10_000)
    #expect(cluster.state.invariantViolations().isEmpty)
    cluster.send(.clientLeft(alice))
    #expect(cluster.state.taskCount == 0)
}

// MARK: - Retiring and adaptive scaling

@Test func retiringCopiesOnlyCopiesToAStayingWorkerFirst() throws {
    var cluster = Cluster()
    let w1 = cluster.join()
    cluster.submit(alice, [task("a"), task("b")])
    cluster.runAll()
    let w2 = cluster.join()
    #expect(cluster.state.onlyCopies(heldBy: w1) == 2)
    cluster.send(.retireWorkers([w1]))
    #expect(cluster.replications.map(\.worker) == [w2])
    #expect(cluster.replications.first?.keys == ["a", "b"])
    // A retiring worker takes no new work, even while it holds data.
    cluster.submit(alice, [task("c")])
    #expect(cluster.worker(running: "c") == w2)
    cluster.completeReplications()
    #expect(cluster.state.onlyCopies(heldBy: w1) == 0)
    let before = cluster.log.count
    cluster.leave(w1, .retired)
    #expect(computes(Array(cluster.log[before...])).isEmpty, "nothing is recomputed")
    #expect(cluster.state.holders(of: "a") == [w2] && cluster.state.holders(of: "b") == [w2])
}

@Test func aWorkerKeptAfterAllTakesWorkAgain() {
    var cluster = Cluster()
    let w1 = cluster.join()
    cluster.send(.retireWorkers([w1]))
    cluster.submit(alice, [task("a", function: "g"), task("b", ["a"])])
    #expect(cluster.replications.isEmpty, "no staying worker to copy to")
    #expect(cluster.state.state(of: "a") == .queued)
    cluster.send(.keepWorkers([w1]))
    #expect(cluster.worker(running: "a") == w1)
}

@Test func theAdaptiveTargetFollowsQueuedWorkAndMemory() {
    var cluster = Cluster()
    #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 0)
    // Queued work and no worker: at least one.
    cluster.submit(alice, [task("x")])
    #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 1)
    let w1 = cluster.join()
    // 100 tasks of an unknown function count 0.5 s each: 50 s of work over 5 s is 10 workers.
    cluster.submit(alice, (0..<100).map { task("t\($0)") })
    #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 11)
    // ...but never more workers than tasks.
    #expect(cluster.state.adaptiveTarget(targetDuration: 0.001) == 101)
    cluster.runAll()
    // Idle, but the last home of the results the client holds: it stays.
    #expect(cluster.state.workersToClose().isEmpty)
    #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 1)
    cluster.send(.releaseKeys(client: alice, keys: ["x"] + (0..<100).map { "t\($0)" }))
    #expect(cluster.state.workersToClose() == [w1])
    #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 0)
    // Held data above 60 % of the memory limits asks for twice the workers.
    cluster.submit(alice, [task("big")])
    cluster.finish("big", nbytes: 700 << 20)
    #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 2)
}

@Test func idleWorkersHoldingLeastCloseFirst() {
    var cluster = Cluster()
    let w1 = cluster.join()
    let w2 = cluster.join()
    let w3 = cluster.join()
    cluster.submit(alice, [task("a", allowed: ["w1"]), task("b", allowed: ["w2"]), task("c", allowed: ["w3"])])
    cluster.finish("a", nbytes: 300)
    cluster.finish("b", nbytes: 100)
    #expect(cluster.state.workersToClose(target: 1) == [w2, w1], "idle first, fewest bytes first")
    #expect(cluster.state.workersToClose(target: 0) == [w2, w1, w3])
    #expect(cluster.state.workersToClose() == [w2, w1], "never a busy worker without a target")
}

@Test func theWorkersOfOneJobCloseTogetherOrNotAtAll() {
    var cluster = Cluster()
    let a0 = cluster.join("a-0"), a1 = cluster.join("a-1"), b0 = cluster.join("b-0"), b1 = cluster.join("b-1")
    let jobs = [a0: "a", a1: "a", b0: "b", b1: "b"]
    let group: (WorkerID) -> String? = { jobs[$0] }
    cluster.submit(alice, [task("x", allowed: ["b-1"])])
    #expect(cluster.state.workersToClose(target: 2, group: group) == [a0, a1])
    #expect(cluster.state.workersToClose(target: 3, group: group).isEmpty, "never half a job")
    #expect(cluster.state.workersToClose(group: group) == [a0, a1], "a job with a busy worker stays")
    #expect(cluster.state.workersToClose(target: 0, group: group) == [a0, a1, b0, b1])
    #expect(cluster.state.workersToClose(target: 3) == [a0], "ungrouped, workers go one by one")
    // With a busy worker in each job, no job is idle: the target does not fall below all four.
    cluster.submit(alice, [task("y", allowed: ["a-0"])])
    #expect(cluster.state.adaptiveTarget(targetDuration: 5, group: group) == 4)
    #expect(cluster.state.adaptiveTarget(targetDuration: 5) == 2, "ungrouped, the two idle workers could go")
}

@Test func aResumedClientHearsAgainAboutSettledKeys() {
    var cluster = Cluster()
    cluster.join()
    cluster.submit(alice, [task("a"), task("bad"), task("slow")])
    cluster.finish("a")
    cluster.fail("bad")
    let effects = cluster.send(.clientResumed(alice))
    let heard = effects.compactMap { effect -> String? in
        switch effect {
        case .keyInMemory(alice, let key, _, _): "memory \(key)"
        case .taskErred(alice, let failure): "erred \(failure.key)"
        default: nil
        }
    }
    #expect(heard == ["memory a", "erred bad"], "and nothing about the task still running")
}

@Test func aReturningClientHearsWhichOfItsKeysWereCancelledMeanwhile() {
    var cluster = Cluster()
    cluster.join()
    cluster.submit(alice, [task("slow")])
    cluster.submit(bob, [task("other")])
    // Bob restarts the cluster while Alice is away: she cannot hear it then.
    cluster.send(.cancelAllWork)
    cluster.submit(bob, [task("again")])
    let effects = cluster.send(.clientStillWaiting(client: alice, keys: ["slow", "never-heard-of"]))
    #expect(effects.contains { if case .cancelled(alice, ["slow", "never-heard-of"]) = $0 { true } else { false } })
    // A key the client still has here is not reported.
    let nothing = cluster.send(.clientStillWaiting(client: bob, keys: ["again"]))
    #expect(!nothing.contains { if case .cancelled = $0 { true } else { false } })
}

@Test func scatteredDataWhoseHoldersLeftFirstErrsAtOnce() {
    var cluster = Cluster()
    let w1 = cluster.join()
    cluster.join()
    cluster.leave(w1)
    // The client's `scattered` arrives after the only holder's departure.
    cluster.send(.scatter(client: alice, keys: [ScatteredKey(key: "x", nbytes: 8, holders: [w1])]))
    guard case .erred(let failure) = cluster.outcome(alice, "x") else {
        Issue.record("the client heard nothing about x: \(String(describing: cluster.outcome(alice, "x")))")
        return
    }
    #expect(failure.message.contains("scattered"))
}
