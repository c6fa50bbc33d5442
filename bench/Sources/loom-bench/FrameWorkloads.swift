import Foundation
import Loom

/// Loom's side of the dataframe workloads (bench/README.md, "Dataframes"), on the h2o data
/// bench/run generates and names in LOOM_BENCH_H2O_CSV.
enum FrameWorkloads {
    static let names = ["frame-groupby", "frame-csv", "frame-join", "frame-parquet", "bag-wordcount", "frame-shuffle-distributed"]

    /// The h2o groupby questions 1-5 (bench/peers/frame_bench.py has the same for the peers).
    static let questions: [(keys: [String], aggregations: [Aggregation])] = [
        (["id1"], [.sum("v1")]),
        (["id1", "id2"], [.sum("v1")]),
        (["id3"], [.sum("v1"), .mean("v3")]),
        (["id4"], [.mean("v1"), .mean("v2"), .mean("v3")]),
        (["id6"], [.sum("v1"), .sum("v2"), .sum("v3")]),
    ]

    static func run(_ workload: String) async throws {
        if workload == "frame-join" { return try await join() }
        if workload == "frame-parquet" { return try await parquet() }
        if workload == "bag-wordcount" { return try await wordcount() }
        if workload == "frame-shuffle-distributed" { return try await shuffleDistributed() }
        guard let path = ProcessInfo.processInfo.environment["LOOM_BENCH_H2O_CSV"] else {
            throw LoomError(.configuration, "LOOM_BENCH_H2O_CSV is not set: bench/run generates the data and sets it")
        }
        let scheduler = Scheduler.threads(2)
        switch workload {
        case "frame-csv":
            let started = ContinuousClock.now
            let table = try await DataFrame.readCSV(path).compute(scheduler: scheduler)
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print("RESULT seconds=\(seconds) tasks=\(table.rowCount) value=\(table.rowCount)")
        case "frame-groupby":
            // Loaded once, not timed (as the peers load theirs), one partition per CSV block.
            let frame = try await load(path, scheduler: scheduler)
            let started = ContinuousClock.now
            var groups = 0, checksum = 0.0
            for (keys, aggregations) in questions {
                let answer = try await frame.groupBy(keys).agg(aggregations).compute(scheduler: scheduler)
                groups += answer.rowCount
                checksum += try answer.columns[keys.count].asDoubles.reduce(0, +)
            }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            print("RESULT seconds=\(seconds) tasks=\(groups) value=\(String(format: "%.6g", checksum))")
        default:
            throw LoomError(.invalidArgument, "no frame workload \(workload)")
        }
    }

    /// Blocks of a CSV as tables in memory, one partition each.
    static func load(_ path: String, scheduler: Scheduler) async throws -> DataFrame {
        try await DataFrame.readCSV(path).persist(scheduler: scheduler)
    }

    /// h2o join questions 1-2 on tables loaded first (bench/peers/frame_bench.py has the peers').
    static func join() async throws {
        guard let directory = ProcessInfo.processInfo.environment["LOOM_BENCH_H2O_JOIN"] else {
            throw LoomError(.configuration, "LOOM_BENCH_H2O_JOIN is not set: bench/run generates the data and sets it")
        }
        let scheduler = Scheduler.threads(2)
        let x = try await load(directory + "/x.csv", scheduler: scheduler)
        let small = try await load(directory + "/small.csv", scheduler: scheduler)
        let medium = try await load(directory + "/medium.csv", scheduler: scheduler)
        let started = ContinuousClock.now
        var rows = 0, checksum = 0.0
        for (right, key) in [(small, "id1"), (medium, "id2")] {
            let answer = try await x.merge(right, on: key, how: .inner).compute(scheduler: scheduler)
            rows += answer.rowCount
            checksum += try answer["v2"].asDoubles.reduce(0, +)
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("RESULT seconds=\(seconds) tasks=\(rows) value=\(String(format: "%.6g", checksum)) peak_rss_bytes=\(peakResidentBytes())")
    }

    /// The h2o data as Parquet: read whole, read two columns with a filter, write (Snappy) —
    /// the sum of the three (bench/peers/frame_bench.py has the peers').
    static func parquet() async throws {
        guard let path = ProcessInfo.processInfo.environment["LOOM_BENCH_H2O_PARQUET"] else {
            throw LoomError(.configuration, "LOOM_BENCH_H2O_PARQUET is not set: bench/run generates the data and sets it")
        }
        let scheduler = Scheduler.threads(2)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-parquet-\(ProcessInfo.processInfo.processIdentifier)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let started = ContinuousClock.now
        let all = try await DataFrame.readParquet(path).compute(scheduler: scheduler)
        let read = ContinuousClock.now
        let selected = try await DataFrame.readParquet(path).filter(col("v3") > 99).select("id1", "v3").compute(scheduler: scheduler)
        let filtered = ContinuousClock.now
        try await DataFrame(all, partitions: 10).toParquet(out, scheduler: scheduler)
        let written = ContinuousClock.now
        func seconds(_ duration: Duration) -> String { String(format: "%.3f", duration / .seconds(1)) }
        print("RESULT seconds=\((written - started) / .seconds(1)) tasks=\(all.rowCount) value=\(selected.rowCount) "
              + "parts=read:\(seconds(read - started)),select:\(seconds(filtered - read)),write:\(seconds(written - filtered))")
    }

    /// The ten most frequent words of LOOM_BENCH_TEXT, split as Dask's `.str.split()` splits
    /// them (bench/peers/frame_bench.py has Dask's); tasks = how many came back (10).
    static func wordcount() async throws {
        guard let path = ProcessInfo.processInfo.environment["LOOM_BENCH_TEXT"] else {
            throw LoomError(.configuration, "LOOM_BENCH_TEXT is not set: bench/run generates the text and sets it")
        }
        let scheduler = Scheduler.threads(2)
        let started = ContinuousClock.now
        let words = try Bag.readText(path).str.split().flatten()
        let top = try await words.frequencies().topK(10).compute(scheduler: scheduler)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("RESULT seconds=\(seconds) tasks=\(top.count) value=\(top.first?.count ?? 0)")
    }

    /// A worker's peak resident memory (Linux's VmHWM), for the workers' sum.
    static let peakResident = TaskFunction("frame-bench.peak-resident") { () -> UInt64 in
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (UInt64(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// setIndex("id3") of the h2o CSV on a LocalCluster of 2 workers x 1 thread whose memory
    /// limit (LOOM_BENCH_SHUFFLE_MEMORY each, 140MB) makes the data about three times the
    /// cluster's memory, written as Parquet; the workers' peaks summed. Blocks of 2 MB (256
    /// partitions of about 3 MB in memory): a task's copies then fit beside what a worker holds
    /// below its spill target.
    static func shuffleDistributed() async throws {
        guard let path = ProcessInfo.processInfo.environment["LOOM_BENCH_H2O_CSV"] else {
            throw LoomError(.configuration, "LOOM_BENCH_H2O_CSV is not set: bench/run generates the data and sets it")
        }
        let memory = ProcessInfo.processInfo.environment["LOOM_BENCH_SHUFFLE_MEMORY"] ?? "140MB"
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-shuffle-\(ProcessInfo.processInfo.processIdentifier)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let cluster = try await LocalCluster(workers: 2, threadsPerWorker: 1, memoryLimit: memory)
        let client = try await Client(cluster)
        let started = ContinuousClock.now
        try await DataFrame.readCSV(path, blockSize: "2MB").setIndex("id3").toParquet(out, on: client)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let peaks = try await client.run(peakResident)
        await client.close()
        await cluster.close()
        let rows = try await DataFrame.readParquet(out).count(scheduler: .threads(2))
        print("RESULT seconds=\(seconds) tasks=\(rows) peak_rss_bytes=\(peaks.values.reduce(0, +)) restarts=\(FrameShuffling.restartCount)")
    }
}
