import LoomCore

/// A hash join of two tables in memory, as pandas' `merge`: every pair of rows with equal keys
/// (nulls match nulls, as in pandas), left rows in their order, each with its matches in right
/// order; unmatched rows kept as `how` says, their other side null.
extension Table {
    func merge(_ right: Table, _ spec: MergeSpec) throws -> Table {
        let schema = try spec.schema(left: self.schema, right: right.schema)
        // Keys of both sides as one column each, so one grouping numbers them alike.
        var keyColumns: [Column] = []
        for (index, key) in spec.on.enumerated() {
            let type = schema.fields[index].type
            keyColumns.append(try Column.concatenate([try self[key].cast(to: type), try right[key].cast(to: type)]))
        }
        let keys = try Table(names: spec.on, columns: keyColumns)
        let groups = try GroupIndex(keys, keys: spec.on).groups
        let leftCount = rowCount
        // The right rows of each key, in order.
        var rightRows: [Int32: [Int]] = [:]
        for row in 0..<right.rowCount { rightRows[groups[leftCount + row], default: []].append(row) }
        var leftTake: [Int] = [], rightTake: [Int] = [], leftMissing: [Bool] = [], rightMissing: [Bool] = []
        var matchedRight = [Bool](repeating: false, count: right.rowCount)
        for row in 0..<leftCount {
            if let matches = rightRows[groups[row]] {
                for match in matches {
                    leftTake.append(row); rightTake.append(match)
                    leftMissing.append(false); rightMissing.append(false)
                    matchedRight[match] = true
                }
            } else if spec.how == .left || spec.how == .outer {
                leftTake.append(row); rightTake.append(0)
                leftMissing.append(false); rightMissing.append(true)
            }
        }
        if spec.how == .right || spec.how == .outer {
            for row in 0..<right.rowCount where !matchedRight[row] {
                leftTake.append(0); rightTake.append(row)
                leftMissing.append(true); rightMissing.append(false)
            }
        }
        if spec.how == .right {
            // pandas orders a right merge by the right rows.
            let order = rightTake.indices.sorted { (rightTake[$0], leftTake[$0]) < (rightTake[$1], leftTake[$1]) }
            (leftTake, rightTake) = (order.map { leftTake[$0] }, order.map { rightTake[$0] })
            (leftMissing, rightMissing) = (order.map { leftMissing[$0] }, order.map { rightMissing[$0] })
        }
        // A key comes from whichever side has the row; both sides' keys are the same values.
        var columns: [Column] = []
        for index in spec.on.indices {
            let all = keyColumns[index]
            let rows = zip(leftTake, rightTake).enumerated().map { position, pair in leftMissing[position] ? leftCount + pair.1 : pair.0 }
            columns.append(all.take(rows))
        }
        func side(_ table: Table, _ rows: [Int], _ missing: [Bool]) -> [Column] {
            table.schema.fields.enumerated().filter { !spec.on.contains($0.element.name) }.map { index, _ in
                table.rowCount == 0 ? ((try? Column.repeating(nil, count: rows.count, type: table.columns[index].type)) ?? table.columns[index])
                    : table.columns[index].take(rows, nullWhere: missing)
            }
        }
        columns += side(self, leftTake, leftMissing) + side(right, rightTake, rightMissing)
        return try Table(names: schema.names, columns: columns)
    }
}
