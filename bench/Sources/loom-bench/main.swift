import Foundation
import Loom

// One benchmark run per process, printed as the line bench/run reads (bench/README.md):
// RESULT seconds=<s> tasks=<n> [peak_rss_bytes=<b>] [held_peak=<n>]

enum BenchTasks {
    static let inc = TaskFunction("inc") { (x: Int) in x + 1 }
    static let add = TaskFunction("add") { (a: Int, b: Int) in a + b }
}

try await Loom.bootstrap(registering: BenchTasks.inc, BenchTasks.add)

/// inc on 0..<n, then a pairwise tree of adds (an odd element passes through to the next level).
func treeSum(leaves n: Int) -> Delayed<Int> {
    var level = (0..<n).map { BenchTasks.inc.delayed($0) }
    while level.count > 1 {
        var next: [Delayed<Int>] = []
        next.reserveCapacity(level.count / 2 + 1)
        for pair in stride(from: 0, to: level.count, by: 2) {
            next.append(pair + 1 < level.count ? BenchTasks.add.delayed(level[pair], level[pair + 1]) : level[pair])
        }
        level = next
    }
    return level[0]
}

/// The most memory this process has held so far (ru_maxrss, KiB on Linux).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss * 1024
}

let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick")
/// Also print where the time went (graph building vs execution) to standard error.
let verbose = arguments.contains("--verbose")
guard let workload = arguments.first(where: { !$0.hasPrefix("--") }) else {
    FileHandle.standardError.write(Data(("usage: loom-bench <tree-sum-sync|tree-sum-threads|tree-sum-processes|graph-1m> [--quick]\n").utf8))
    exit(2)
}

func check(_ total: Int, leaves n: Int) {
    let expected = n * (n + 1) / 2
    guard total == expected else {
        FileHandle.standardError.write(Data(("wrong result: \(total), expected \(expected)\n").utf8))
        exit(1)
    }
}

switch workload {
case "tree-sum-sync", "tree-sum-threads", "tree-sum-processes":
    let scheduler: Scheduler = switch workload {
    case "tree-sum-sync": .synchronous
    case "tree-sum-threads": .threads(2)
    default: .processes(2)
    }
    let n = quick ? 2_000 : (workload == "tree-sum-processes" ? 20_000 : 100_000)
    let graph = treeSum(leaves: n)
    let started = ContinuousClock.now
    let built = graph.graph()
    let executing = ContinuousClock.now
    let report = try await built.execute(on: scheduler)
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    if verbose {
        let building = (executing - started) / .seconds(1)
        FileHandle.standardError.write(Data("graph \(building) s, execute \(seconds - building) s\n".utf8))
    }
    check(report.outputs[0] as! Int, leaves: n)
    print("RESULT seconds=\(seconds) tasks=\(report.tasks) held_peak=\(report.peakHeldResults)")
case "graph-1m":
    let n = quick ? 10_000 : 500_000
    let baseline = peakResidentBytes()
    let started = ContinuousClock.now
    let report = try await treeSum(leaves: n).graph().execute(on: .threads(2))
    let seconds = (ContinuousClock.now - started) / .seconds(1)
    check(report.outputs[0] as! Int, leaves: n)
    print("RESULT seconds=\(seconds) tasks=\(report.tasks) peak_rss_bytes=\(peakResidentBytes() - baseline) held_peak=\(report.peakHeldResults)")
default:
    FileHandle.standardError.write(Data(("unknown workload '\(workload)'\n").utf8))
    exit(2)
}
