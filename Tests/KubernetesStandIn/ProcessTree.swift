import Foundation

/// A container's processes as /proc shows them: its main process and every descendant, and
/// their resident memory, for the memory-limit watch (a cgroup's job in a real kubelet).
enum ProcessTree {
    static func descendants(of root: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command's closing parenthesis: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(pid) }
        }
        var tree = [root]
        var index = 0
        while index < tree.count {
            tree += children[tree[index]] ?? []
            index += 1
        }
        return tree
    }

    static func residentBytes(_ pids: [Int32]) -> Int64 {
        let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
        return pids.reduce(0) { total, pid in
            guard let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return total }
            let fields = statm.split(separator: " ")
            return total + (fields.count > 1 ? (Int64(fields[1]) ?? 0) * page : 0)
        }
    }
}
