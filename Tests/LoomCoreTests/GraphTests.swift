import Testing
@testable import LoomCore

private let inc = TaskFunction("inc") { (x: Int) in x + 1 }
private let add = TaskFunction("add") { (a: Int, b: Int) in a + b }
private let total = TaskFunction("total") { (values: [Int]) in values.reduce(0, +) }

/// A pairwise reduction over `leaves` inc calls, as the benchmarks build it.
func treeSum(leaves: Int) -> Delayed<Int> {
    var level = (0..<leaves).map { inc.delayed($0) }
    while level.count > 1 {
        level = stride(from: 0, to: level.count, by: 2).map {
            $0 + 1 < level.count ? add.delayed(level[$0], level[$0 + 1]) : level[$0]
        }
    }
    return level[0]
}

@Suite struct GraphTests {
    @Test func placementsFollowTheirTasksIntoTheGraph() throws {
        let placement = TaskPlacement(workers: ["w-1"], allowOtherWorkers: true)
        let a = inc.delayed(1)
        let placed = TaskNode(key: "placed", function: inc.erased, inputs: [a.taskInput], placement: placement)
        let graph = add.delayed(Delayed<Int>(node: placed).named("renamed"), inc.delayed(2)).graph()
        let task = try #require(graph.keys.firstIndex(of: "renamed"))
        #expect(graph.placements == [Int32(task): placement], "numbered as the task is, kept by a new name")
        #expect(treeSum(leaves: 8).graph().placements.isEmpty)
    }

    @Test func delayedCallsBuildTheGraphTheyNeed() {
        let a = inc.delayed(1), b = inc.delayed(2)
        let c = add.delayed(a, b)
        let graph = c.graph()
        #expect(graph.count == 3)
        #expect(graph.outputs == [2])
        #expect(graph.keys[2] == c.key)
        #expect(Set(graph.dependencies(of: 2)) == [0, 1])
        #expect(graph.dependents(of: 0) == [2])
    }

    @Test func sharedWorkAppearsOnce() {
        let a = inc.delayed(1)
        let graph = TaskGraph(outputs: [add.delayed(a, a).node, inc.delayed(a).node])
        #expect(graph.count == 3)
        // add(a, a) depends on a once, even though it reads it twice.
        let addTask = graph.keys.firstIndex { $0.prefix == "add" }!
        #expect(graph.dependencies(of: addTask).count == 1)
        #expect(graph.inputRange(of: addTask).count == 2)
    }

    @Test func listsMixValuesAndDelayedResults() {
        let a = inc.delayed(1)
        let sum = total.delayed([a, 5, inc.delayed(a)])
        let graph = sum.graph()
        // a, inc(a), the constant 5 and the total.
        #expect(graph.count == 4)
        #expect(graph.functions.map(\.name).sorted() == ["inc", "inc", "loom.constant-int", "total"])
        let totalTask = Int(graph.outputs[0])
        guard case .list(let parts) = graph.inputs[graph.inputRange(of: totalTask)].first else {
            Issue.record("expected a list input")
            return
        }
        #expect(parts.count == 3)
        // An array of plain values stays one literal.
        guard case .literal = total.delayed([1, 2, 3]).graph().inputs[0] else {
            Issue.record("expected a literal input")
            return
        }
    }

    @Test func handWrittenGraphsAreCulledToTheirOutputs() throws {
        let graph = try TaskGraph(
            tasks: [
                TaskSpec(key: "a", function: inc, inputs: [.literal(1)]),
                TaskSpec(key: "b", function: inc, inputs: [.task("a")]),
                TaskSpec(key: "unused", function: inc, inputs: [.task("a")]),
                TaskSpec(key: "c", function: add, inputs: [.task("a"), .task("b")]),
            ],
            outputs: ["c"])
        #expect(Set(graph.keys) == ["a", "b", "c"])
        #expect(graph.keys[Int(graph.outputs[0])] == "c")
    }

    @Test func cyclesAreRefusedNamingTheirKeys() {
        let error = #expect(throws: LoomError.self) {
            try TaskGraph(
                tasks: [
                    TaskSpec(key: "start", function: inc, inputs: [.literal(0)]),
                    TaskSpec(key: "x", function: add, inputs: [.task("start"), .task("z")]),
                    TaskSpec(key: "y", function: inc, inputs: [.task("x")]),
                    TaskSpec(key: "z", function: inc, inputs: [.task("y")]),
                ],
                outputs: ["z"])
        }
        #expect(error?.code == .cycle)
        let message = error?.description ?? ""
        #expect(message.contains("x") && message.contains("y") && message.contains("z"))
        #expect(!message.contains("start"))
    }

    @Test func missingDependenciesAreNamed() {
        let error = #expect(throws: LoomError.self) {
            try TaskGraph(tasks: [TaskSpec(key: "b", function: inc, inputs: [.task("a")])], outputs: ["b"])
        }
        #expect(error?.code == .missingDependency)
        #expect(error?.description.contains("task 'b' depends on 'a', which is not in the graph") == true)

        let missingOutput = #expect(throws: LoomError.self) {
            try TaskGraph(tasks: [TaskSpec(key: "b", function: inc, inputs: [.literal(1)])], outputs: ["nope"])
        }
        #expect(missingOutput?.description.contains("'nope'") == true)
    }

    @Test func duplicateKeysAreRefused() {
        let error = #expect(throws: LoomError.self) {
            try TaskGraph(
                tasks: [TaskSpec(key: "a", function: inc, inputs: [.literal(1)]), TaskSpec(key: "a", function: inc, inputs: [.literal(2)])],
                outputs: ["a"])
        }
        #expect(error?.code == .duplicateKey)
        #expect(error?.key == "a")
    }

    @Test func keysReadWell() {
        let key = Key.unique(prefix: "inc")
        #expect(key.description.hasPrefix("inc-"))
        #expect(Key.unique(prefix: "inc") != key)
        #expect(Key("my-key").description == "my-key")
        #expect(inc.delayed(1).named("first").key == "first")
    }

    @Test func dotShowsTasksAndEdges() {
        let a = inc.delayed(1)
        let dot = add.delayed(a, 2).dot()
        #expect(dot.hasPrefix("digraph"))
        #expect(dot.contains("t0 -> t1;"))
        #expect(dot.contains("label=\"inc\\n\(a.key)\""))
        #expect(dot.contains("peripheries=2"))
    }

    @Test func deepChainsDoNotOverflowTheStack() {
        var value = inc.delayed(0)
        for _ in 0..<200_000 { value = inc.delayed(value) }
        #expect(value.graph().count == 200_001)
    }
}

@Suite struct OrderTests {
    @Test func treeReductionsFinishEachBranchFirst() {
        // Leaves 0,1 → add; leaves 2,3 → add; then the root: post-order, left to right.
        let graph = treeSum(leaves: 4).graph()
        let functions = graph.functions.map(\.name)
        #expect(functions == ["inc", "inc", "add", "inc", "inc", "add", "add"])
        // Every task runs after its dependencies.
        for task in 0..<graph.count {
            #expect(graph.dependencies(of: task).allSatisfy { Int($0) < task })
        }
    }

    @Test func smallGoalsComeFirst() {
        // A long chain and a single leaf feed one task: the leaf is finished first so that
        // its result is not held while the chain runs... and the chain's end directly feeds
        // the output.
        var chain = inc.delayed(0)
        for _ in 0..<10 { chain = inc.delayed(chain) }
        let leaf = inc.delayed(100)
        let graph = add.delayed(chain, leaf).graph()
        let leafTask = graph.keys.firstIndex(of: leaf.key)!
        #expect(leafTask == 0)
    }

    @Test func everyOutputsWorkIsOrdered() {
        let graph = TaskGraph(outputs: (0..<5).map { treeSum(leaves: 3 + $0).node })
        #expect(graph.count == (0..<5).map { 2 * (3 + $0) - 1 }.reduce(0, +))
        for task in 0..<graph.count {
            #expect(graph.dependencies(of: task).allSatisfy { Int($0) < task })
        }
    }
}
