/// The partitions a plan reads from files, and what the optimizer pushed into the reading:
/// the columns kept, and the row groups a filter's statistics ruled out.
struct FileScan: Sendable {
    var sources: [PartitionSource]
    /// The file's columns before any were left out, to say what projection did.
    var fileSchema: Schema
    /// Row groups the optimizer left out, and the filter that ruled them out.
    var skipped = 0
    var skippedBy: ColumnExpression?

    init(_ sources: [PartitionSource]) {
        self.sources = sources
        fileSchema = sources.first?.schema ?? Schema([])
    }

    var schema: Schema { sources.first?.schema ?? fileSchema }

    func picking(_ index: Int) -> FileScan {
        var scan = self
        scan.sources = [sources[index]]
        return scan
    }
}

extension FileScan: CustomStringConvertible {
    /// `ReadParquet: 2 files in 8 row groups [id1, v1] (2 of 10 columns); 2 row groups skipped by (col("v1") > 5)`
    var description: String {
        let files = Set(sources.map(\.path)).count
        var isParquet = false
        if case .parquet? = sources.first { isParquet = true }
        var line = isParquet ? "ReadParquet: \(files) files in \(sources.count) row groups" : "ReadCSV: \(files) files in \(sources.count) blocks"
        line += " [\(schema.names.joined(separator: ", "))]"
        if schema.fields.count < fileSchema.fields.count { line += " (\(schema.fields.count) of \(fileSchema.fields.count) columns)" }
        if let skippedBy { line += "; \(skipped) row groups skipped by the statistics of \(skippedBy)" }
        return line
    }
}
