// The README's examples, each as it stands there, so CI compiles every one of them
// (Tests/LoomCoreTests/ReadmeExamplesTests.swift checks they are the README's own text).
// This file is the first example, a whole program; Examples.swift holds the others.
import Foundation
import Loom

enum Tasks {
    static let inc = TaskFunction("inc") { (x: Int) in x + 1 }
    static let add = TaskFunction("add") { (a: Int, b: Int) in a + b }
    static let total = TaskFunction("total") { (values: [Int]) in values.reduce(0, +) }
    static let processID = TaskFunction("process-id") { () -> Int32 in ProcessInfo.processInfo.processIdentifier }
}

// Turns this process into a worker when the process scheduler started it; returns otherwise.
try await Loom.bootstrap(registering: Tasks.inc, Tasks.add, Tasks.total, Tasks.processID)

let a = Tasks.inc.delayed(1), b = Tasks.inc.delayed(2)
let c = Tasks.add.delayed(a, b)
print(try await c.compute())                          // threads (the default): 5
print(try await c.compute(scheduler: .processes(4)))  // four worker processes
print(try await c.compute(scheduler: .synchronous))   // one thread, for debugging
let (x, y) = try await compute(c, a)                  // several outputs, shared work
print(c.dot())                                        // the graph as Graphviz DOT
