extension TaskGraph {
    /// The graph as Graphviz DOT text: a box per task (labelled with its function) and an arrow
    /// from each dependency to the task that uses it. Render with `dot -Tsvg`.
    public func dot(name: String = "loom") -> String {
        var lines = ["digraph \"\(escaped(name))\" {", "  rankdir=BT;", "  node [shape=box, fontname=\"Helvetica\"];"]
        for task in 0..<count {
            let outputMark = outputs.contains(Int32(task)) ? ", peripheries=2" : ""
            lines.append("  t\(task) [label=\"\(escaped(functions[task].name))\\n\(escaped(keys[task].description))\"\(outputMark)];")
        }
        for task in 0..<count {
            for dependency in dependencies(of: task) { lines.append("  t\(dependency) -> t\(task);") }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
