import Foundation
import LoomCore
import Testing
@testable import LoomRuntime

// The scheduler under random graphs and random events, seeded so a failing case reproduces.

@Suite struct SchedulerStateRandomGraphTests {
    /// Random graphs, finish orders, failures, worker joins and deaths and steals: every wanted key
    /// always ends in memory or erred, the client is told which, and once everything is released
    /// the scheduler and the workers hold nothing.
    @Test(arguments: 0..<200)
    func randomGraphsNeverGetStuck(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &* 0x1234_5678_9ABC)
        var configuration = SchedulerConfiguration()
        configuration.workerSaturation = Bool.random(using: &random) ? 1.1 : .infinity
        configuration.allowedFailures = Int.random(in: 2...4, using: &random)
        var cluster = SimulatedCluster(configuration)
        let names = ["n0", "n1", "n2", "n3"]
        func joinRandom(_ cluster: inout SimulatedCluster, _ random: inout SplitMix64) {
            let name = names.randomElement(using: &random)!
            cluster.join(name, nthreads: Int.random(in: 1...3, using: &random),
                         resources: name == "n3" ? ["R": 2] : [:])
        }
        for _ in 0..<Int.random(in: 0...3, using: &random) { joinRandom(&cluster, &random) }

        // Graphs: each task depends on up to three earlier ones; some are restricted, need the
        // resource, have retries or a priority; several updates from two clients, sharing keys.
        let count = Int.random(in: 20...80, using: &random)
        var all: [WireTask] = []
        for index in 0..<count {
            var dependencies: [Key] = []
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
        var wanted: [ClientID: [Key]] = [:]
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
                guard included.insert(key).inserted, let index = Int(key.prefix.dropFirst()) else { continue }
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
}
