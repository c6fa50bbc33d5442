import Foundation
import Loom
import LoomTestSupport
import Synchronization
import Testing


let workerProcesses = Scheduler.processes(2, executable: TestTasks.workerExecutable)
let allSchedulers: [Scheduler] = [.synchronous, .threads(2), .threads(4), workerProcesses]

@Suite struct SchedulerTests {
    @Test(arguments: allSchedulers)
    func treeSumsAreRight(scheduler: Scheduler) async throws {
        let leaves = 3_001
        #expect(try await treeSum(leaves: leaves).compute(scheduler: scheduler) == leaves * (leaves + 1) / 2)
    }

    @Test(arguments: allSchedulers)
    func severalOutputsShareWork(scheduler: Scheduler) async throws {
        let a = TestTasks.inc.delayed(1), b = TestTasks.inc.delayed(2)
        let c = TestTasks.add.delayed(a, b)
        let total = TestTasks.sum.delayed([a, b, c, 10])
        let (sum, five, two) = try await compute(total, c, a, scheduler: scheduler)
        #expect(sum == 20 && five == 5 && two == 2)
        #expect(try await compute([a, b, c], scheduler: scheduler) == [2, 3, 5])
    }

    @Test(arguments: allSchedulers)
    func codableStructsAndArraysTravel(scheduler: Scheduler) async throws {
        let point = Point(x: 1.5, y: -2, label: "here")
        #expect(try await TestTasks.describePoint.delayed(point).compute(scheduler: scheduler) == "(1.5, -2.0) here")
        let values = (0..<100_000).map(Double.init)
        let scaled = try await TestTasks.scale.delayed(TestTasks.scale.delayed(values, 2.0), 0.5).compute(scheduler: scheduler)
        #expect(scaled == values)
    }

    @Test(arguments: allSchedulers)
    func aFailingTaskNamesItsKeyFunctionAndMessage(scheduler: Scheduler) async throws {
        let bad = TestTasks.fail.delayed(TestTasks.inc.delayed(41))
        let error = await #expect(throws: LoomError.self) {
            try await TestTasks.add.delayed(bad, 1).compute(scheduler: scheduler)
        }
        #expect(error?.code == .taskFailed)
        #expect(error?.key == bad.key)
        #expect(error?.function == "fail")
        #expect(error?.message == "bad input 42")
        #expect(error?.description == "task failed in task \(bad.key) (function 'fail'): bad input 42")
    }

    @Test(arguments: [Scheduler.threads(2), workerProcesses])
    func aFailureAbandonsTheRemainingWork(scheduler: Scheduler) async throws {
        // 200 tasks of 20 ms behind one failure: the run ends long before they all could run.
        let started = Mutex(0)
        let slow = LocalFunction("slow") { (x: Int) -> Int in
            started.withLock { $0 += 1 }
            Thread.sleep(forTimeInterval: 0.02)
            return x
        }
        var tasks = [TestTasks.fail.delayed(0)]
        if scheduler.kind == .threads {
            tasks += (1...200).map { slow.delayed($0) }
        } else {
            tasks += (1...200).map { TestTasks.sleepThenEcho.delayed($0, 0.02) }
        }
        await #expect(throws: LoomError.self) { try await compute(tasks, scheduler: scheduler) }
        if scheduler.kind == .threads { #expect(started.withLock { $0 } < 200) }
    }

    @Test func cancellingTheCallerAbandonsTheRun() async throws {
        let started = Mutex(0)
        let slow = LocalFunction("slow") { (x: Int) -> Int in
            started.withLock { $0 += 1 }
            Thread.sleep(forTimeInterval: 0.05)
            return x
        }
        let run = Task { try await compute((0..<400).map { slow.delayed($0) }, scheduler: .threads(2)) }
        try await eventually("the run to start its first task") { started.withLock { $0 } > 0 }
        run.cancel()
        let error = await #expect(throws: LoomError.self) { try await run.value }
        #expect(error?.code == .cancelled)
        #expect(started.withLock { $0 } < 400, "the remaining tasks were abandoned")
    }

    @Test func localClosuresRunOnThreadsButNotInProcesses() async throws {
        let square = LocalFunction("square") { (x: Int) in x * x }
        let value = square.delayed(TestTasks.inc.delayed(2))
        #expect(try await value.compute(scheduler: .threads()) == 9)
        #expect(try await value.compute(scheduler: .synchronous) == 9)
        #expect(try await Delayed { 6 * 7 }.compute() == 42)
        let error = await #expect(throws: LoomError.self) { try await value.compute(scheduler: workerProcesses) }
        #expect(error?.code == .unsupported)
        #expect(error?.key == value.key)
        #expect(error?.message.contains("local closure") == true)
    }

    @Test func treeReductionsHoldFewResults() async throws {
        // dask.order's promise: a reduction over a million leaves holds few results at once.
        let report = try await treeSum(leaves: 1_000_000).graph().execute(on: .threads(2))
        #expect(report.tasks == 1_999_999)
        #expect(report.outputs[0] as? Int == 500_000_500_000)
        print("tree of 1 000 000 leaves on threads(2): peak held results \(report.peakHeldResults)")
        #expect(report.peakHeldResults < 200)
    }
}
