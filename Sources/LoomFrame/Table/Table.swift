import LoomCore

/// Columns of equal length, in memory: one partition of a dataframe, or a computed result.
public struct Table: Sendable {
    public let schema: Schema
    public let columns: [Column]
    public let rowCount: Int

    /// A table of `columns`, in order; names must be distinct and the columns equally long.
    public init(_ columns: KeyValuePairs<String, Column>) throws {
        try self.init(names: columns.map(\.key), columns: columns.map(\.value))
    }

    public init(names: [String], columns: [Column]) throws {
        guard names.count == columns.count else {
            throw LoomError(.invalidArgument, "\(names.count) column names for \(columns.count) columns")
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw LoomError(.invalidArgument, "the column name '\(name)' is given twice")
        }
        let rows = columns.first?.count ?? 0
        for (name, column) in zip(names, columns) where column.count != rows {
            throw LoomError(.invalidArgument, "column '\(name)' has \(column.count) rows, but '\(names[0])' has \(rows)")
        }
        schema = Schema(zip(names, columns).map { Schema.Field($0, $1.type) })
        self.columns = columns
        rowCount = rows
    }

    /// No rows, with `schema`'s columns.
    public static func empty(_ schema: Schema) -> Table {
        let columns = schema.fields.map { field in (try? Column.repeating(nil, count: 0, type: field.type)) ?? Column([Int64]()) }
        return try! Table(names: schema.names, columns: columns)
    }

    public var columnNames: [String] { schema.names }

    /// The column `name`; an unknown name is an error that lists the schema.
    public subscript(name: String) -> Column {
        get throws {
            guard let index = schema.index(of: name) else { throw schema.unknownColumn(name) }
            return columns[index]
        }
    }

    /// The columns `names`, in that order.
    public func select(_ names: [String]) throws -> Table {
        try Table(names: names, columns: names.map { try self[$0] })
    }

    /// Every column but `names`.
    public func dropping(_ names: [String]) throws -> Table {
        for name in names where schema.index(of: name) == nil { throw schema.unknownColumn(name) }
        let kept = schema.names.filter { !names.contains($0) }
        return try select(kept)
    }

    /// The same columns under new names (`["v1": "value"]`).
    public func renamed(_ names: [String: String]) throws -> Table {
        for old in names.keys where schema.index(of: old) == nil { throw schema.unknownColumn(old) }
        return try Table(names: schema.names.map { names[$0] ?? $0 }, columns: columns)
    }

    /// The table with `column` as `name`: replacing a column of that name in place, or last.
    public func adding(_ name: String, _ column: Column) throws -> Table {
        var names = schema.names, columns = columns
        if let index = schema.index(of: name) {
            columns[index] = column
        } else {
            names.append(name)
            columns.append(column)
        }
        return try Table(names: names, columns: columns)
    }

    /// The first `count` rows.
    public func head(_ count: Int = 5) -> Table {
        slice(0..<min(max(0, count), rowCount))
    }

    public func slice(_ range: Range<Int>) -> Table {
        try! Table(names: schema.names, columns: columns.map { $0.slice(range) })
    }

    /// The rows at `indices`, in their order.
    public func take(_ indices: [Int]) -> Table {
        try! Table(names: schema.names, columns: columns.map { $0.take(indices) })
    }

    /// The rows where `mask` is true.
    public func filter(_ mask: [Bool]) throws -> Table {
        guard mask.count == rowCount else {
            throw LoomError(.invalidArgument, "a mask of \(mask.count) rows for a table of \(rowCount)")
        }
        return take(Column.rows(where: mask))
    }

    /// Tables of one schema, end to end.
    public static func concatenate(_ tables: [Table]) throws -> Table {
        guard let first = tables.first else { throw LoomError(.invalidArgument, "no tables to concatenate") }
        if tables.count == 1 { return first }
        try checkOneSchema(tables)
        let columns = try first.schema.fields.indices.map { index in try Column.concatenate(tables.map { $0.columns[index] }) }
        return try Table(names: first.schema.names, columns: columns)
    }

    private static func checkOneSchema(_ tables: [Table]) throws {
        guard let first = tables.first else { return }
        for table in tables where table.schema != first.schema {
            throw LoomError(.typeMismatch, "cannot put a table of columns \(table.schema) after one of \(first.schema)")
        }
    }

    /// The same, each column joined in a child task of its own: for a computation's last step,
    /// when the partitions are done and the cores are free (a large result's copy is then no
    /// longer one thread's work while the others wait).
    static func concatenateConcurrently(_ tables: [Table]) async throws -> Table {
        guard tables.count > 1, let first = tables.first else { return try concatenate(tables) }
        try checkOneSchema(tables)
        let columns = try await withThrowingTaskGroup(of: (Int, Column).self) { group in
            for index in first.schema.fields.indices {
                let parts = tables.map { $0.columns[index] }
                group.addTask { (index, try Column.concatenate(parts)) }
            }
            var columns = [Column?](repeating: nil, count: first.columns.count)
            for try await (index, column) in group { columns[index] = column }
            return columns.map { $0! }
        }
        return try Table(names: first.schema.names, columns: columns)
    }
}

/// A table travels as its column names and columns; decoding checks them as `init` does, so a
/// malformed message is an error, never a table whose columns disagree.
extension Table: Codable {
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let names = try container.decode([String].self)
        let columns = try container.decode([Column].self)
        do {
            try self.init(names: names, columns: columns)
        } catch let error as LoomError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(schema.names)
        try container.encode(columns)
    }
}

extension Table {
    /// The bytes its columns hold (what `repartition(partitionSize:)` measures).
    public var byteCount: Int { columns.reduce(0) { $0 + $1.byteCount } }
}
