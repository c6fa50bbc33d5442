import Foundation
import LoomDistributed

/// CPU and memory of this process, from `/proc/self`.
struct ProcessSampler: Sendable {
    private var lastCPU: Double = ProcessSampler.cpuSeconds()
    private var lastTime = ContinuousClock.now
    let started = ContinuousClock.now

    /// CPU seconds (user + system) this process has used.
    static func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    mutating func sample() -> DashboardSnapshot.System {
        let now = ContinuousClock.now, cpu = Self.cpuSeconds()
        let elapsed = (now - lastTime) / .seconds(1)
        let percent = elapsed > 0 ? (cpu - lastCPU) / elapsed * 100 : 0
        lastCPU = cpu
        lastTime = now
        return DashboardSnapshot.System(
            cpuPercent: max(0, percent), residentBytes: ProcessMemory.residentBytes() ?? 0, uptime: (now - started) / .seconds(1))
    }
}
