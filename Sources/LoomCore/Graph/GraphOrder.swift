/// Static priorities that make executors finish a branch before starting new ones.
///
/// This is the behaviour of `dask.order` that matters most: from each output, walk the graph
/// depth first and number tasks as they complete (post-order), taking the cheapest dependency
/// first ("small goals"). Ready tasks are then run lowest number first, so a reduction over a
/// million leaves combines partial results as soon as they exist and holds only a handful.
enum GraphOrder {
    /// The priority of every task (0 runs first), or -1 for tasks no output needs (culled).
    static func priorities(of graph: GraphBuilder) -> [Int32] {
        let count = graph.count
        let reachable = reachableInTopologicalOrder(graph)

        // Work below each task, counted as if the graph were a tree: exact for trees, and a fair
        // estimate of "how big a goal is" elsewhere. Saturating, since sharing can make it explode.
        var work = [Int](repeating: 1, count: count)
        for task in reachable {
            for dependency in graph.dependencies(of: Int(task)) {
                let (sum, overflow) = work[Int(task)].addingReportingOverflow(work[Int(dependency)])
                work[Int(task)] = overflow ? .max : sum
            }
        }

        // Each task's dependencies, cheapest first, stable for equal work (keeps argument order).
        var sorted = graph.dependencies
        for task in reachable {
            let range = Int(graph.dependencyOffsets[Int(task)])..<Int(graph.dependencyOffsets[Int(task) + 1])
            if range.count == 2 {
                // The common case (binary reductions), without allocating.
                if work[Int(sorted[range.lowerBound + 1])] < work[Int(sorted[range.lowerBound])] {
                    sorted.swapAt(range.lowerBound, range.lowerBound + 1)
                }
            } else if range.count > 2 {
                let ranked = sorted[range].enumerated().sorted {
                    (work[Int($0.element)], $0.offset) < (work[Int($1.element)], $1.offset)
                }
                for (slot, entry) in zip(range, ranked) { sorted[slot] = entry.element }
            }
        }

        var priority = [Int32](repeating: -1, count: count)
        var next: Int32 = 0
        postOrder(graph, following: sorted) { task in
            priority[Int(task)] = next
            next += 1
        }
        return priority
    }

    /// Tasks the outputs need, each after all of its dependencies.
    private static func reachableInTopologicalOrder(_ graph: GraphBuilder) -> [Int32] {
        var order: [Int32] = []
        order.reserveCapacity(graph.count)
        postOrder(graph, following: graph.dependencies) { order.append($0) }
        return order
    }

    /// Depth-first from each output, calling `finish` on a task once all its dependencies are
    /// finished; `edges` lists each task's dependencies in the order to walk them. Iterative, so
    /// a chain of a million calls cannot overflow the stack.
    private static func postOrder(_ graph: GraphBuilder, following edges: [Int32], finish: (Int32) -> Void) {
        var started = [Bool](repeating: false, count: graph.count)
        var stack: [(task: Int32, cursor: Int32)] = []
        for output in graph.outputs where !started[Int(output)] {
            started[Int(output)] = true
            stack.append((output, graph.dependencyOffsets[Int(output)]))
            while let (task, cursor) = stack.last {
                if cursor == graph.dependencyOffsets[Int(task) + 1] {
                    finish(task)
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].cursor += 1
                let dependency = edges[Int(cursor)]
                if !started[Int(dependency)] {
                    started[Int(dependency)] = true
                    stack.append((dependency, graph.dependencyOffsets[Int(dependency)]))
                }
            }
        }
    }
}
