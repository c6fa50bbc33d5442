import LoomCore
import LoomDistributed
import Testing
@testable import LoomDashboard

/// The advisor names each kind of bottleneck with its figures, and stays quiet without one.
struct BottleneckAdvisorTests {
    func entry(_ key: String, worker: String = "w1", thread: Int = 0, start: Double, seconds: Double) -> TaskStreamEntry {
        TaskStreamEntry(sequence: 0, key: key, prefix: Self.prefix(of: key), worker: worker, thread: thread,
                        start: start, stop: start + seconds, serialization: 0)
    }

    /// `f-1a` → `f`: the part before a hexadecimal token, as Loom's generated keys are made.
    static func prefix(of key: String) -> String {
        guard let dash = key.lastIndex(of: "-"), dash != key.startIndex else { return key }
        let token = key[key.index(after: dash)...]
        guard !token.isEmpty, token.allSatisfy(\.isHexDigit) else { return key }
        return String(key[..<dash])
    }

    func worker(_ name: String, processing: Int = 1, spilled: UInt64 = 0) -> DashboardSnapshot.Worker {
        DashboardSnapshot.Worker(name: name, address: "tcp://x:1", threads: 1, memoryLimit: 1 << 30, managed: 0, unmanaged: 0,
                                 spilled: spilled, processing: processing, occupancy: 0, inMemory: 0, paused: false, lastSeen: 0)
    }

    func titles(_ found: [Bottleneck]) -> [String] { found.map(\.title) }

    @Test func aBalancedBusyComputationHasNoAdvice() {
        let stream = (0..<40).flatMap { i in ["w1", "w2"].map { entry("f-\(i)\($0)", worker: $0, start: Double(i) * 0.1, seconds: 0.1) } }
        let profile = ["f": FunctionProfile(tasks: 80, compute: 8, serialization: 0.01)]
        #expect(BottleneckAdvisor.advise(profile: profile, stream: stream, workers: [worker("w1"), worker("w2")], waitingTasks: 0).isEmpty)
    }

    @Test func tinyTasksAreTooShort() {
        let found = BottleneckAdvisor.advise(
            profile: ["inc": FunctionProfile(tasks: 10_000, compute: 0.05)], stream: [], workers: [], waitingTasks: 0)
        #expect(titles(found) == ["Tasks too short"])
        #expect(found[0].detail.contains("10000 'inc' tasks took 5 µs each"))
    }

    @Test func transfersSpillingAndSerialisationAreNamedWithFigures() {
        let profile = ["load": FunctionProfile(tasks: 10, compute: 1, serialization: 0.6, transfer: 3, transferBytes: 2_000_000_000, disk: 0.5)]
        let found = BottleneckAdvisor.advise(profile: profile, stream: [], workers: [worker("w1", spilled: 5_000_000)], waitingTasks: 0)
        #expect(titles(found) == ["Much time in transfers", "Much time (de)serialising", "Spilling to disk"], "by cost")
        #expect(found[0].detail.contains("2000.0 MB") && found[2].detail.contains("5.0 MB on disk"))
    }

    @Test func idleWorkersWhileTasksWait() {
        let found = BottleneckAdvisor.advise(profile: [:], stream: [], workers: [worker("w1", processing: 0), worker("w2")], waitingTasks: 7)
        #expect(found.map(\.detail) == ["1 of 2 workers have nothing to do while 7 tasks wait"])
    }

    @Test func aThinlyUsedClusterIsIdle() {
        let stream = [entry("f-1", start: 0, seconds: 0.1), entry("f-2", worker: "w2", start: 2, seconds: 0.1)]
        let found = BottleneckAdvisor.advise(profile: [:], stream: stream, workers: [], waitingTasks: 0)
        #expect(titles(found) == ["Idle workers"] && found[0].detail.contains("busy 4 %"))
    }

    @Test func stragglersAndImbalance() {
        var stream = (0..<30).map { entry("part-\($0)", worker: $0 % 2 == 0 ? "w1" : "w2", start: Double($0) * 0.01, seconds: 0.01) }
        stream.append(entry("part-ff", worker: "w1", start: 0, seconds: 2))
        let found = BottleneckAdvisor.advise(profile: [:], stream: stream, workers: [], waitingTasks: 0)
        #expect(titles(found).contains("Stragglers") && titles(found).contains("Unbalanced placement"))
        #expect(found.first { $0.title == "Stragglers" }?.detail.contains("'part-ff' took 2.00 s") == true)
    }
}
