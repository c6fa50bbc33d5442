import LoomCore
import LoomLocal

/// CSV files in and out, as Dask's `read_csv` and `to_csv`.
extension DataFrame {
    /// The CSV files `pattern` names (a path or a glob, `data/*.csv`), lazily: one partition per
    /// `blockSize` bytes of each file ("64MB", Dask's default; nil for a file each), cut on line
    /// boundaries. Every file's header must name the same columns. Without `schema`, column
    /// types are inferred from the start of the first file (`CSVOptions.sampleBytes`); a later
    /// value of another type is an error naming its file and line.
    public static func readCSV(_ pattern: String, blockSize: String? = "64MB", schema: Schema? = nil,
                               options: CSVOptions = CSVOptions()) throws -> DataFrame {
        let bytes = try blockSize.map { Int(try MemorySize.bytes($0)) }
        let blocks = try CSVDataset.blocks(pattern, blockSize: bytes, schema: schema, options: options)
        return DataFrame(plan: .files(FileScan(blocks.map { .csv($0) })))
    }

    /// Writes one file per partition into `directory` (made if missing): `part-00000.csv`, …,
    /// in partition order, each with a header. Returns their paths.
    @discardableResult
    public func toCSV(_ directory: String, options: CSVOptions = CSVOptions(), scheduler: Scheduler? = nil) async throws -> [String] {
        try await write(to: directory, extension: "csv", scheduler: scheduler) { program, path, inputs in
            FramePlan.task(FrameKernels.writeCSV.erased, "to-csv", [.literal(program), .literal(path), .literal(options), .list(inputs)])
        }
    }
}
