import LoomCore
import LoomDistributed
import Testing
@testable import LoomDashboard

/// The scheduler's bounded records for the dashboard and reports.
struct ClusterDiagnosticsTests {
    @Test func theTaskStreamKeepsTheNewestEntriesInOrder() {
        var diagnostics = ClusterDiagnostics(streamCapacity: 5, memoryCapacity: 3)
        for index in 0..<8 {
            diagnostics.taskFinished(key: Key(prefix: "inc", token: UInt64(index)), worker: "w", seconds: 0.5,
                                     timing: TaskTiming(startedAt: Double(index), thread: 0, serializationSeconds: 0.1))
        }
        #expect(diagnostics.streamEntries(from: 0).map(\.sequence) == [3, 4, 5, 6, 7], "the oldest went")
        #expect(diagnostics.streamEntries(from: 5).map(\.sequence) == [5, 6, 7])
        #expect(diagnostics.streamEntries(from: 5, limit: 2).map(\.sequence) == [6, 7], "the newest of them")
        #expect(diagnostics.streamEntries(from: 100).isEmpty)
        #expect(diagnostics.streamEntries(from: 7).first?.key == "inc-7")
        let profile = diagnostics.profile()["inc"]
        #expect(profile?.tasks == 8 && abs((profile?.compute ?? 0) - 3.2) < 1e-9 && abs((profile?.serialization ?? 0) - 0.8) < 1e-9)
    }

    @Test func transferAndDiskTotalsSurviveTheWorkersThatMadeThem() {
        var diagnostics = ClusterDiagnostics()
        diagnostics.heartbeat("w1", phases: ["inc": PhaseTotals(transferSeconds: 1, transferBytes: 10, diskSeconds: 2)])
        diagnostics.heartbeat("w1", phases: ["inc": PhaseTotals(transferSeconds: 3, transferBytes: 30, diskSeconds: 2)])
        diagnostics.heartbeat("w2", phases: ["inc": PhaseTotals(transferSeconds: 1, transferBytes: 5, diskSeconds: 0)])
        diagnostics.workerLeft("w1")
        let profile = diagnostics.profile()["inc"]
        #expect(profile?.transfer == 4 && profile?.transferBytes == 35 && profile?.disk == 2, "totals are cumulative, not summed per beat")
    }

    @Test func memorySamplesAreBounded() {
        var diagnostics = ClusterDiagnostics(memoryCapacity: 3)
        for second in 0..<5 { diagnostics.sampleMemory(MemorySample(time: Double(second), managed: 1, unmanaged: 2, spilled: 0)) }
        #expect(diagnostics.memorySamples().map(\.time) == [2, 3, 4])
        #expect(diagnostics.memorySamples(since: 3).map(\.time) == [3, 4])
    }
}
