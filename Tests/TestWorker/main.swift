import Foundation
import Loom
import LoomTestSupport

// The worker executable the process-scheduler tests start. Run under another name (a symlink
// ending in "-mismatch") it registers an `add` with other types, to test registry checks.
if CommandLine.arguments[0].hasSuffix("-mismatch") {
    try await Loom.bootstrap(registering: TaskFunction("add") { (a: Double, b: Double) in a + b }, TestTasks.inc)
} else {
    try await Loom.bootstrap(registering: TestTasks.all)
}

// Started by hand: `loom-test-worker parent PIDFILE-PREFIX N` computes on N worker processes
// that each write their pid and sleep, so a test can kill this parent and watch its children.
let arguments = CommandLine.arguments
if arguments.count == 4, arguments[1] == "parent", let workers = Int(arguments[3]) {
    let tasks = (0..<workers).map { TestTasks.reportThenSleep.delayed("\(arguments[2])\($0)", 120.0) }
    _ = try await compute(tasks, scheduler: .processes(workers))
    exit(0)
}
FileHandle.standardError.write(Data(("loom-test-worker: started without a role; the tests run it\n").utf8))
exit(2)
