import Foundation

/// One thing slowing a computation down, with its figures and what to do about it.
public struct Bottleneck: Sendable, Codable, Equatable {
    public var title: String
    public var detail: String
    public var remedy: String
    /// Seconds of cluster time it costs, roughly: the leading bottlenecks come first.
    public var cost: Double
}

/// Names the leading bottlenecks of a computation from what the scheduler recorded: Dask's
/// "common bottlenecks and solutions", with this run's figures. Pure: the same inputs give the
/// same advice, live on the dashboard and after the fact in a performance report.
public enum BottleneckAdvisor {
    /// Loom's own cost per task on a cluster (scheduling, messages), measured by
    /// `bench/run map-distributed`: about 20 µs. Tasks far shorter than ~10× this spend more
    /// time being scheduled than computing.
    public static let overheadPerTask = 0.00002

    public static func advise(
        profile: [String: FunctionProfile], stream: [TaskStreamEntry], workers: [DashboardSnapshot.Worker], waitingTasks: Int
    ) -> [Bottleneck] {
        var found: [Bottleneck] = []
        let compute = profile.values.reduce(0) { $0 + $1.compute }
        let transfer = profile.values.reduce(0) { $0 + $1.transfer }
        let disk = profile.values.reduce(0) { $0 + $1.disk }
        let serialization = profile.values.reduce(0) { $0 + $1.serialization }

        for (function, figures) in profile where figures.tasks >= 100 {
            let mean = (figures.compute + figures.serialization) / Double(figures.tasks)
            guard mean < 10 * overheadPerTask else { continue }
            found.append(Bottleneck(
                title: "Tasks too short",
                detail: "\(figures.tasks) '\(function)' tasks took \(microseconds(mean)) each on average, near Loom's "
                    + "\(microseconds(overheadPerTask)) of overhead per task",
                remedy: "Make chunks or partitions bigger so each task does more work (aim for 100 ms or more).",
                cost: Double(figures.tasks) * overheadPerTask))
        }
        if transfer > 0.2 * (compute + transfer), transfer > 0.05 {
            let bytes = profile.values.reduce(UInt64(0)) { $0 + $1.transferBytes }
            found.append(Bottleneck(
                title: "Much time in transfers",
                detail: "\(seconds(transfer)) moving \(megabytes(bytes)) between workers against \(seconds(compute)) computing",
                remedy: "Move less data: reduce before combining, scatter large inputs once, or give workers more threads so data stays local.",
                cost: transfer))
        }
        let spilled = workers.reduce(UInt64(0)) { $0 + $1.spilled }
        if disk > 0.1 * max(compute, 0.001) || spilled > 0 {
            found.append(Bottleneck(
                title: "Spilling to disk",
                detail: "\(seconds(disk)) reading and writing spilled values; \(megabytes(spilled)) on disk now",
                remedy: "Give workers more memory, use smaller chunks, or release futures you no longer need.",
                cost: disk))
        }
        if serialization > 0.25 * max(compute, 0.001), serialization > 0.05 {
            found.append(Bottleneck(
                title: "Much time (de)serialising",
                detail: "\(seconds(serialization)) decoding arguments and encoding results against \(seconds(compute)) computing",
                remedy: "Pass numeric arrays rather than nested structures, and keep results small.",
                cost: serialization))
        }
        found += idleness(stream: stream, workers: workers, waitingTasks: waitingTasks)
        found += stragglers(stream)
        found += imbalance(stream)
        return found.sorted { $0.cost > $1.cost }
    }

    /// Workers idle while there was work, or a cluster busy a small share of the time.
    static func idleness(stream: [TaskStreamEntry], workers: [DashboardSnapshot.Worker], waitingTasks: Int) -> [Bottleneck] {
        let idle = workers.filter { $0.processing == 0 }
        if !idle.isEmpty, waitingTasks > 0 {
            return [Bottleneck(
                title: "Idle workers",
                detail: "\(idle.count) of \(workers.count) workers have nothing to do while \(waitingTasks) tasks wait",
                remedy: "Check the tasks' worker restrictions and resources, and whether their inputs are still being computed.",
                cost: Double(idle.count))]
        }
        guard let first = stream.map(\.start).min(), let last = stream.map(\.stop).max(), last - first > 0.5 else { return [] }
        let lanes = Set(stream.map { "\($0.worker)#\($0.thread)" }).count
        let busy = stream.reduce(0) { $0 + ($1.stop - $1.start) }
        let share = busy / ((last - first) * Double(max(1, lanes)))
        guard share < 0.5 else { return [] }
        return [Bottleneck(
            title: "Idle workers",
            detail: "the task threads were busy \(Int(share * 100)) % of the \(seconds(last - first)) the tasks ran",
            remedy: "Submit more work at once (more, smaller partitions), or use fewer workers; a narrow graph leaves threads waiting.",
            cost: (last - first) * Double(lanes) - busy)]
    }

    /// Tasks of a function far slower than its median.
    static func stragglers(_ stream: [TaskStreamEntry]) -> [Bottleneck] {
        var found: [Bottleneck] = []
        for (function, entries) in Dictionary(grouping: stream, by: \.prefix) where entries.count >= 20 {
            let durations = entries.map { $0.stop - $0.start }.sorted()
            let median = durations[durations.count / 2]
            guard let slowest = entries.max(by: { $0.stop - $0.start < $1.stop - $1.start }) else { continue }
            let longest = slowest.stop - slowest.start
            guard longest > 10 * median, longest > 0.1 else { continue }
            found.append(Bottleneck(
                title: "Stragglers",
                detail: "'\(slowest.key)' took \(seconds(longest)) while '\(function)' tasks take \(seconds(median)) in the median",
                remedy: "Split uneven partitions so the work is even, or look at what makes that input slow.",
                cost: longest - median))
        }
        return found
    }

    /// Work spread unevenly over the workers.
    static func imbalance(_ stream: [TaskStreamEntry]) -> [Bottleneck] {
        var busy: [String: Double] = [:]
        for entry in stream { busy[entry.worker, default: 0] += entry.stop - entry.start }
        guard busy.count >= 2, let most = busy.max(by: { $0.value < $1.value }), let least = busy.min(by: { $0.value < $1.value }),
              most.value > 0.5, most.value > 2 * least.value else { return [] }
        return [Bottleneck(
            title: "Unbalanced placement",
            detail: "worker \(most.key) computed \(seconds(most.value)), worker \(least.key) only \(seconds(least.value))",
            remedy: "Check restrictions and resources that pin tasks to a few workers, and inputs held by one worker only.",
            cost: most.value - least.value)]
    }

    static func seconds(_ value: Double) -> String { value < 1 ? String(format: "%.0f ms", value * 1000) : String(format: "%.2f s", value) }
    static func microseconds(_ value: Double) -> String { String(format: "%.0f µs", value * 1e6) }
    static func megabytes(_ bytes: UInt64) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
