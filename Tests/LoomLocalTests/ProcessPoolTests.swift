import Foundation
import Loom
import LoomTestSupport
import Testing

@Suite struct ProcessPoolTests {
    @Test func aKilledWorkerFailsTheRunNamingTaskAndSignal() async throws {
        let victim = TestTasks.dieHard.delayed(TestTasks.inc.delayed(1))
        let error = await #expect(throws: LoomError.self) {
            try await TestTasks.add.delayed(victim, 1).compute(scheduler: workerProcesses)
        }
        #expect(error?.code == .workerDied)
        #expect(error?.key == victim.key)
        #expect(error?.function == "die-hard")
        #expect(error?.message.contains("was killed by signal 9 (SIGKILL) while running this task") == true)
    }

    @Test func workersDoNotOutliveTheComputation() async throws {
        let pids = try await compute((0..<8).map { TestTasks.processID.delayed($0) }, scheduler: workerProcesses)
        #expect(Set(pids).count >= 1)
        for pid in Set(pids) {
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "worker \(pid) is still there")
        }
    }

    @Test func workersDieWithTheirParent() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-parent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: TestTasks.workerExecutable)
        parent.arguments = ["parent", directory.appendingPathComponent("pid-").path, "2"]
        try parent.run()
        defer { if parent.isRunning { kill(parent.processIdentifier, SIGKILL) } }

        // Wait for both workers to report, then kill the parent outright.
        var children: [Int32] = []
        try await eventually("both workers to write their process ids") {
            children = (0..<2).compactMap {
                (try? String(contentsOf: directory.appendingPathComponent("pid-\($0)"), encoding: .utf8))
                    .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            return children.count == 2
        }
        kill(parent.processIdentifier, SIGKILL)
        parent.waitUntilExit()

        func alive(_ pid: Int32) -> Bool {
            // A zombie counts as gone: it runs nothing and init reaps it.
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !status.contains(") Z ")
        }
        try await eventually("the workers \(children) to die with their parent") { !children.contains(where: alive) }
    }

    @Test func aWorkerWithOtherFunctionsIsRefusedNamingThem() async throws {
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("loom-test-worker-\(UUID().uuidString)-mismatch").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: TestTasks.workerExecutable)
        defer { try? FileManager.default.removeItem(atPath: link) }
        let graph = TestTasks.sum.delayed([TestTasks.add.delayed(1, 2), TestTasks.inc.delayed(3)])
        let error = await #expect(throws: LoomError.self) {
            try await graph.compute(scheduler: .processes(1, executable: link))
        }
        #expect(error?.code == .registry)
        let message = error?.message ?? ""
        #expect(message.contains("'add' differs: here (Swift.Int, Swift.Int) -> Swift.Int, in worker executable \(link) (Swift.Double, Swift.Double) -> Swift.Double"))
        #expect(message.contains("'sum' is not registered in worker executable \(link)"))
        #expect(!message.contains("'inc'"))
    }

    @Test func anExecutableThatIsNotAWorkerIsExplained() async throws {
        let error = await #expect(throws: LoomError.self) {
            try await TestTasks.inc.delayed(1).compute(scheduler: .processes(1, executable: "/bin/true"))
        }
        #expect(error?.code == .workerDied)
        #expect(error?.message.contains("exited with status 0 before answering; does its main call Loom.bootstrap(registering:) first?") == true)

        let missing = await #expect(throws: LoomError.self) {
            try await TestTasks.inc.delayed(1).compute(scheduler: .processes(1, executable: "/nonexistent/loom-worker"))
        }
        #expect(missing?.message.contains("/nonexistent/loom-worker") == true)
    }
}
