#if canImport(Glibc)
import Glibc
#endif
import CLoomSystem
import Foundation

/// What the operating system says about a process's memory.
package enum ProcessMemory {
    private static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    /// Resident bytes of the process `pid` (this one by default), or `nil` if it is gone.
    package static func residentBytes(of pid: Int32? = nil) -> UInt64? {
        let path = pid.map { "/proc/\($0)/statm" } ?? "/proc/self/statm"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return nil }
        return pages * pageSize
    }

    /// Gives freed heap memory back to the system, so resident memory drops after a spill.
    static func returnFreedMemory() {
        cloom_release_free_memory()
    }
}
