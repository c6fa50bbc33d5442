/// Tables print as pandas prints a frame: a header, then rows, the middle elided past 10.
extension Table: CustomStringConvertible {
    public var description: String {
        let shown = rowCount <= 10 ? Array(0..<rowCount) : Array(0..<5) + [-1] + Array((rowCount - 5)..<rowCount)
        var cells: [[String]] = [[""] + schema.names]
        for row in shown {
            if row < 0 {
                cells.append(["…"] + schema.names.map { _ in "…" })
                continue
            }
            cells.append(["\(row)"] + columns.map { column in column[row].map(Self.text) ?? "null" })
        }
        let widths = (0..<cells[0].count).map { index in cells.map { $0[index].count }.max() ?? 0 }
        var text = cells.map { line in
            zip(line, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
        }.joined(separator: "\n")
        text += "\n[\(rowCount) rows x \(schema.fields.count) columns]"
        return text
    }

    private static func text(_ value: Scalar) -> String {
        if case .string(let string) = value { return string }
        return value.description
    }
}
