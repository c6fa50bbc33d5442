import LoomCore

/// A table's columns, by name and type, in order.
public struct Schema: Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Field: Sendable, Hashable, Codable {
        public var name: String
        public var type: DataType

        public init(_ name: String, _ type: DataType) {
            self.name = name
            self.type = type
        }
    }

    public var fields: [Field]

    public init(_ fields: [Field]) { self.fields = fields }

    public var names: [String] { fields.map(\.name) }

    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }

    /// The field `name`; an unknown name is an error that lists the schema.
    public func field(_ name: String) throws -> Field {
        guard let index = index(of: name) else { throw unknownColumn(name) }
        return fields[index]
    }

    func unknownColumn(_ name: String) -> LoomError {
        LoomError(.invalidArgument, "no column '\(name)'; the columns are \(description)")
    }

    /// `id1: string, v1: int64, …`
    public var description: String {
        fields.isEmpty ? "(none)" : fields.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
    }
}
