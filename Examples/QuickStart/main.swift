import Loom

// The example from the README: a small graph of delayed calls, computed on each local scheduler.
enum Tasks {
    static let inc = TaskFunction("inc") { (x: Int) in x + 1 }
    static let add = TaskFunction("add") { (a: Int, b: Int) in a + b }
    static let total = TaskFunction("total") { (values: [Int]) in values.reduce(0, +) }
}

// Turns this process into a worker when the process scheduler started it; returns otherwise.
try await Loom.bootstrap(registering: Tasks.inc, Tasks.add, Tasks.total)

let a = Tasks.inc.delayed(1), b = Tasks.inc.delayed(2)
let c = Tasks.add.delayed(a, b)
print(try await c.compute())                               // thread pool (the default): 5
print(try await c.compute(scheduler: .processes(2)))       // worker processes: 5
print(try await c.compute(scheduler: .synchronous))        // one thread, for debugging: 5

// Arrays may mix values and delayed results; several outputs share common work.
let sum = Tasks.total.delayed([a, b, c, 10])
let (s, cc) = try await compute(sum, c)
print(s, cc)                                               // 20 5
print(sum.dot())                                           // the graph, for Graphviz
