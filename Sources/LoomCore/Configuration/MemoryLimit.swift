import Foundation

/// A worker's memory limit as Dask users write it: `"2GB"`, `"2GiB"`, a fraction of the
/// machine's memory (`"0.5"`), `"auto"` (the machine's memory shared out by threads), or none
/// (`"0"`, `"none"`).
public enum MemoryLimit {
    /// The limit in bytes, or `nil` for none.
    /// - Parameters:
    ///   - threads: the worker's threads, for `"auto"`.
    ///   - workers: how many workers share the machine, for `"auto"` and fractions when the
    ///     caller splits the machine itself (a `LocalCluster`).
    public static func bytes(_ text: String, threads: Int = 1, workers: Int = 1) throws -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let machine = systemMemory()
        switch trimmed {
        case "0", "none", "null", "": return nil
        case "auto":
            let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
            let share = min(1, Double(threads) / Double(cores), 1 / Double(max(1, workers)))
            return UInt64(Double(machine) * share)
        default:
            if let fraction = Double(trimmed), fraction > 0, fraction <= 1, !trimmed.contains("e") {
                return UInt64(Double(machine) * fraction)
            }
            let bytes = try MemorySize.bytes(text)
            return bytes == 0 ? nil : bytes
        }
    }

    /// The memory this process may use: physical memory, or the cgroup's limit if lower (as in
    /// a container or a batch job).
    public static func systemMemory() -> UInt64 {
        let physical = ProcessInfo.processInfo.physicalMemory
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let limit = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 {
                return min(physical, limit)
            }
        }
        return physical
    }
}
