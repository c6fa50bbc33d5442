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
        let index = try GroupIndex(keys, keys: spec.on)
        let groups = index.groups
        let leftCount = rowCount
        // The right rows of each key, in order: counts per key, then offsets into one array.
        var start = [Int](repeating: 0, count: index.count + 1)
        for row in 0..<right.rowCount { start[Int(groups[leftCount + row]) + 1] += 1 }
        for group in 0..<index.count { start[group + 1] += start[group] }
        var rightRows = [Int](repeating: 0, count: right.rowCount)
        var filled = start
        for row in 0..<right.rowCount {
            let group = Int(groups[leftCount + row])
            rightRows[filled[group]] = row
            filled[group] += 1
        }
        var leftTake: [Int] = [], rightTake: [Int] = [], leftMissing: [Bool] = [], rightMissing: [Bool] = []
        leftTake.reserveCapacity(leftCount)
        rightTake.reserveCapacity(leftCount)
        var matchedRight = [Bool](repeating: false, count: right.rowCount)
        for row in 0..<leftCount {
            let group = Int(groups[row])
            let matches = start[group]..<start[group + 1]
            if !matches.isEmpty {
                for match in rightRows[matches] {
                    leftTake.append(row); rightTake.append(match)
                    matchedRight[match] = true
                }
            } else if spec.how == .left || spec.how == .outer {
                if rightMissing.isEmpty { rightMissing = [Bool](repeating: false, count: rightTake.count) }
                if !leftMissing.isEmpty { leftMissing.append(false) }
                leftTake.append(row); rightTake.append(0)
                rightMissing.append(true)
            }
            if !rightMissing.isEmpty, rightMissing.count < rightTake.count { rightMissing += [Bool](repeating: false, count: rightTake.count - rightMissing.count) }
        }
        if spec.how == .right || spec.how == .outer {
            for row in 0..<right.rowCount where !matchedRight[row] {
                if leftMissing.isEmpty { leftMissing = [Bool](repeating: false, count: leftTake.count) }
                if !rightMissing.isEmpty { rightMissing.append(false) }
                leftTake.append(0); rightTake.append(row)
                leftMissing.append(true)
            }
        }
        if spec.how == .right {
            // pandas orders a right merge by the right rows.
            let order = rightTake.indices.sorted { (rightTake[$0], leftTake[$0]) < (rightTake[$1], leftTake[$1]) }
            (leftTake, rightTake) = (order.map { leftTake[$0] }, order.map { rightTake[$0] })
            (leftMissing, rightMissing) = (leftMissing.isEmpty ? [] : order.map { leftMissing[$0] }, rightMissing.isEmpty ? [] : order.map { rightMissing[$0] })
        }
        // A key comes from whichever side has the row; both sides' keys are the same values.
        var columns: [Column] = []
        for index in spec.on.indices {
            let all = keyColumns[index]
            let rows = leftMissing.isEmpty ? leftTake : zip(leftTake, rightTake).enumerated().map { position, pair in leftMissing[position] ? leftCount + pair.1 : pair.0 }
            columns.append(all.take(rows))
        }
        func side(_ table: Table, _ rows: [Int], _ missing: [Bool]) -> [Column] {
            table.schema.fields.enumerated().filter { !spec.on.contains($0.element.name) }.map { index, _ in
                table.rowCount == 0 ? ((try? Column.repeating(nil, count: rows.count, type: table.columns[index].type)) ?? table.columns[index])
                    : missing.isEmpty ? table.columns[index].take(rows) : table.columns[index].take(rows, nullWhere: missing)
            }
        }
        columns += side(self, leftTake, leftMissing) + side(right, rightTake, rightMissing)
        return try Table(names: schema.names, columns: columns)
    }
}
