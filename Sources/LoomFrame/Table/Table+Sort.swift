import LoomCore

/// Rows in the order of key columns, as pandas' `sort_values`: stable, nulls last.
extension Table {
    public func sorted(by keys: [String], ascending: [Bool]? = nil) throws -> Table {
        guard !keys.isEmpty, rowCount > 1 else { return self }
        let ascending = ascending ?? keys.map { _ in true }
        guard ascending.count == keys.count else {
            throw LoomError(.invalidArgument, "\(ascending.count) sort directions for \(keys.count) keys")
        }
        if keys.count == 1, let order = Self.singleKeyOrder(try self[keys[0]], ascending: ascending[0]) { return take(order) }
        let comparators = try self.comparators(keys, ascending: ascending)
        let order = (0..<rowCount).sorted { a, b in
            for compare in comparators {
                let order = compare(a, b)
                if order != 0 { return order < 0 }
            }
            return a < b
        }
        return take(order)
    }

    /// The order of a key column without nulls of integers or of strings of at most 16 bytes,
    /// sorted as (value, row) pairs with no comparator per row — the last step of every
    /// group-by sorts its groups so; nil for other columns.
    private static func singleKeyOrder(_ column: Column, ascending: Bool) -> [Int]? {
        guard column.nullCount == 0 else { return nil }
        func order<Value: Comparable>(_ values: [Value]) -> [Int] {
            var pairs = values.enumerated().map { (value: $1, row: Int32(truncatingIfNeeded: $0)) }
            if ascending {
                pairs.sort { $0.value < $1.value || ($0.value == $1.value && $0.row < $1.row) }
            } else {
                pairs.sort { $0.value > $1.value || ($0.value == $1.value && $0.row < $1.row) }
            }
            return pairs.map { Int($0.row) }
        }
        switch column.storage {
        case .int32(let values), .date(let values): return order(values)
        case .int64(let values), .timestamp(let values): return order(values)
        case .string(let strings):
            guard let prefixes = ShortString.orderedPrefixes(strings) else { return nil }
            return order(prefixes)
        default: return nil
        }
    }

    /// One row comparator per key, in order.
    func comparators(_ keys: [String], ascending: [Bool]) throws -> [(Int, Int) -> Int] {
        try zip(keys, ascending).map { key, up in try Self.comparator(try self[key], ascending: up) }
    }

    /// Negative when row `a` goes first; nulls last whatever the direction.
    private static func comparator(_ column: Column, ascending: Bool) throws -> (Int, Int) -> Int {
        func by<T: Comparable>(_ values: [T]) -> (Int, Int) -> Int {
            { a, b in
                let (aNull, bNull) = (column.isNull(a), column.isNull(b))
                if aNull || bNull { return aNull == bNull ? 0 : (aNull ? 1 : -1) }
                let order = values[a] < values[b] ? -1 : (values[b] < values[a] ? 1 : 0)
                return ascending ? order : -order
            }
        }
        switch column.storage {
        case .int32(let values), .date(let values): return by(values)
        case .int64(let values), .timestamp(let values): return by(values)
        case .float(let values): return by(values)
        case .double(let values): return by(values)
        case .bool(let values): return by(values.map { $0 ? 1 : 0 })
        case .categorical(let codes, let categories):
            // Categories in string order, then codes by their category's rank.
            let ranked = (0..<categories.count).sorted { categories.compare($0, with: categories, $1) < 0 }
            var rank = [Int](repeating: 0, count: categories.count)
            for (position, category) in ranked.enumerated() { rank[category] = position }
            return by(codes.map { rank.isEmpty ? 0 : rank[Int($0)] })
        case .string(let strings):
            return { a, b in
                let (aNull, bNull) = (column.isNull(a), column.isNull(b))
                if aNull || bNull { return aNull == bNull ? 0 : (aNull ? 1 : -1) }
                let order = strings.compare(a, with: strings, b)
                return ascending ? order : -order
            }
        }
    }
}

extension Table {
    /// The first row of each distinct combination of `subset` (nil: every column), in order;
    /// nulls equal each other, as pandas' `drop_duplicates`.
    public func droppingDuplicates(_ subset: [String]? = nil) throws -> Table {
        try take(GroupIndex(self, keys: subset ?? columnNames).firstRows)
    }
}
