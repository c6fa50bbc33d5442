import Foundation
import Loom
@testable import LoomLocal
import LoomTestSupport
import Synchronization
import Testing

@Suite struct ProgressBarTests {
    @Test func linesLookLikeDasks() {
        #expect(ProgressBar.line(fraction: 0.5, seconds: 1.23, width: 10) == "[#####     ] |  50% Completed |  1.2s")
        #expect(ProgressBar.line(fraction: 1, seconds: 75, width: 4) == "[####] | 100% Completed | 1min 15s")
    }

    @Test func drawsUntilDoneAndEndsAtOneHundredPercent() async throws {
        let drawn = Mutex<[String]>([])
        let bar = ProgressBar(minimum: 0, interval: 0.01, output: .custom { line in drawn.withLock { $0.append(line) } })
        let slow = LocalFunction("slow") { (x: Int) -> Int in
            Thread.sleep(forTimeInterval: 0.002)
            return x
        }
        _ = try await compute((0..<100).map { slow.delayed($0) }, scheduler: .threads(2), progress: bar)
        let lines = drawn.withLock { $0 }
        #expect(lines.count >= 2)
        #expect(lines.last?.contains("100% Completed") == true)
        #expect(lines.last?.hasSuffix("\n") == true)
        #expect(lines.allSatisfy { $0.hasPrefix("\r[") })
    }

    @Test func quickComputationsDrawNothing() async throws {
        let drawn = Mutex(0)
        let bar = ProgressBar(minimum: 60, output: .custom { _ in drawn.withLock { $0 += 1 } })
        _ = try await TestTasks.inc.delayed(1).compute(progress: bar)
        #expect(drawn.withLock { $0 } == 0)
    }
}
