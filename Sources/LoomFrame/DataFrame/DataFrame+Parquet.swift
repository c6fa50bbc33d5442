import Foundation
import LoomCore
import LoomLocal

/// Parquet files in and out, as Dask's `read_parquet` and `to_parquet`.
extension DataFrame {
    /// The Parquet files `pattern` names (a path, a glob such as `data/*.parquet`, or a folder
    /// of `.parquet` files), lazily: one partition per row group. `columns` reads only those;
    /// a filter right after the read skips row groups whose statistics rule it out (see
    /// `explain()`). Every file must have the same columns and types.
    public static func readParquet(_ pattern: String, columns: [String]? = nil) throws -> DataFrame {
        let files = try FileMatch.paths(pattern, extension: "parquet").map { try ParquetFile($0) }
        let schema = files[0].schema
        for file in files.dropFirst() where file.schema != schema {
            throw LoomError(.typeMismatch, "\(file.path) has columns \(file.schema), but \(files[0].path) has \(schema)")
        }
        let pieces = try files.flatMap { try $0.pieces(selecting: columns) }
        if pieces.isEmpty { return DataFrame(plan: .tables([.empty(try columns.map { names in Schema(try names.map { try schema.field($0) }) } ?? schema)])) }
        return DataFrame(plan: .files(FileScan(pieces.map { .parquet($0) })))
    }

    /// Writes one file per partition into `directory` (made if missing): `part-00000.parquet`,
    /// …, in partition order, readable by pyarrow, pandas and Dask. Returns their paths.
    @discardableResult
    public func toParquet(_ directory: String, options: ParquetWriteOptions = ParquetWriteOptions(), scheduler: Scheduler? = nil) async throws -> [String] {
        try await write(to: directory, extension: "parquet", scheduler: scheduler) { program, path, inputs in
            FramePlan.task(FrameKernels.writeParquet.erased, "to-parquet", [.literal(program), .literal(path), .literal(options), .list(inputs)])
        }
    }

    /// The same, the tasks on a cluster (`toParquet("out/", on: client)`), shuffles peer to peer.
    @discardableResult
    public func toParquet(_ directory: String, options: ParquetWriteOptions = ParquetWriteOptions(), on runner: any GraphRunner) async throws -> [String] {
        try await FrameShuffling.onCluster(runner) {
            try await write(to: directory, extension: "parquet", runner: runner) { program, path, inputs in
                FramePlan.task(FrameKernels.writeParquet.erased, "to-parquet", [.literal(program), .literal(path), .literal(options), .list(inputs)])
            }
        }
    }

    /// A task per partition writing `part-NNNNN.extension` into `directory`; the paths.
    func write(to directory: String, extension: String, scheduler: Scheduler? = nil, runner: (any GraphRunner)? = nil,
               _ task: (PartitionProgram, String, [NodeInput]) -> NodeInput) async throws -> [String] {
        let plan = try plan.optimized()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory)
        var paths: [String] = []
        let writes = try plan.pending().enumerated().map { index, partition -> NodeInput in
            let path = base.appendingPathComponent(String(format: "part-%05d.\(`extension`)", index)).path
            paths.append(path)
            return task(partition.program, path, partition.inputs)
        }
        if let runner { _ = try await PartitionValues.of(writes, on: runner) } else { _ = try await run(writes, scheduler: scheduler) }
        return paths
    }
}
