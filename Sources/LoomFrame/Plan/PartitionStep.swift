import LoomCore

/// One step a partition goes through on its own (no other partition needed): consecutive
/// steps fuse into one task per partition.
enum PartitionStep: Sendable, Codable, CustomStringConvertible {
    case filter(ColumnExpression)
    case assign(String, ColumnExpression)
    case select([String])
    case drop([String])
    case rename([String: String])

    func apply(_ table: Table) throws -> Table {
        switch self {
        case .filter(let predicate): try table.filter(predicate)
        case .assign(let name, let expression): try table.assign(name, expression)
        case .select(let names): try table.select(names)
        case .drop(let names): try table.dropping(names)
        case .rename(let names): try table.renamed(names)
        }
    }

    /// The schema after the step; an unknown column or a type clash is the error.
    func schema(after input: Schema) throws -> Schema {
        switch self {
        case .filter(let predicate):
            let type = try predicate.type(in: input)
            guard type == .bool else { throw LoomError(.typeMismatch, "a filter needs a bool expression, but \(predicate) is \(type)") }
            return input
        case .assign(let name, let expression):
            let type = try expression.type(in: input)
            var fields = input.fields
            if let index = input.index(of: name) { fields[index].type = type } else { fields.append(Schema.Field(name, type)) }
            return Schema(fields)
        case .select(let names):
            return Schema(try names.map { try input.field($0) })
        case .drop(let names):
            for name in names { _ = try input.field(name) }
            return Schema(input.fields.filter { !names.contains($0.name) })
        case .rename(let names):
            for name in names.keys { _ = try input.field(name) }
            return Schema(input.fields.map { Schema.Field(names[$0.name] ?? $0.name, $0.type) })
        }
    }

    var description: String {
        switch self {
        case .filter(let predicate): "filter \(predicate)"
        case .assign(let name, let expression): "assign \(name) = \(expression)"
        case .select(let names): "select \(names.joined(separator: ", "))"
        case .drop(let names): "drop \(names.joined(separator: ", "))"
        case .rename(let names): "rename \(names.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(separator: ", "))"
        }
    }
}

/// Where a partition's rows come from when no task made them: a block of a file.
enum PartitionSource: Sendable, Codable {
    case csv(CSVBlock)
    /// A row group of a Parquet file.
    case parquet(ParquetPiece)

    func read() throws -> Table {
        switch self {
        case .csv(let block): try block.read()
        case .parquet(let piece): try piece.read()
        }
    }

    var schema: Schema {
        switch self {
        case .csv(let block): block.outputSchema
        case .parquet(let piece): piece.schema
        }
    }

    var path: String {
        switch self {
        case .csv(let block): block.path
        case .parquet(let piece): piece.path
        }
    }
}

/// What one partition task does: read its source (or take its one input table), then the
/// fused steps. Opaque outside the module: a shuffle's tasks run it where they run.
public struct PartitionProgram: Sendable, Codable {
    var source: PartitionSource?
    var steps: [PartitionStep]

    init(source: PartitionSource? = nil, steps: [PartitionStep]) {
        self.source = source
        self.steps = steps
    }

    public func run(_ inputs: [Table]) throws -> Table {
        let table: Table
        if let source {
            table = try source.read()
        } else {
            guard let input = inputs.first else { throw LoomError(.invalidArgument, "a partition task got no input") }
            table = input
        }
        return try steps.reduce(table) { try $1.apply($0) }
    }
}
