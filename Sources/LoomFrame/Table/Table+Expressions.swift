/// Expressions on a whole table: pandas' boolean indexing and `assign`.
extension Table {
    /// The rows where `predicate` holds (rows where it is null go, as in pandas).
    public func filter(_ predicate: ColumnExpression) throws -> Table {
        let mask = try predicate.evaluate(on: self)
        let values = try mask.bools
        guard let validity = mask.validity else { return try filter(values) }
        return try filter(values.enumerated().map { $1 && validity.isValid($0) })
    }

    /// The table with `expression`'s values as column `name` (replacing one of that name).
    public func assign(_ name: String, _ expression: ColumnExpression) throws -> Table {
        try adding(name, try expression.evaluate(on: self))
    }
}
