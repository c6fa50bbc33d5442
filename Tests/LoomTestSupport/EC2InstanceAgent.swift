import Foundation
import Loom
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What moto lacks to stand in for EC2: something that boots its instances. The agent watches
/// the emulator's instances and runs each running one's user data (a shell script) as a
/// process here, the image's programs (`programs`: path in the image → path here) replaced by
/// this machine's; it ends the script and everything it started when the instance is
/// terminated or stopped through the API. The script's `shutdown` is a stand-in that records
/// the request: when the script then ends, the agent terminates the instance, as EC2 does for
/// an instance launched with shutdown behaviour `terminate` that powers itself off.
public final class EC2InstanceAgent: Sendable {
    private let client: AWSClient
    private let programs: [String: String]
    private let directory: URL
    private let running = Mutex<[String: Process]>([:])
    /// Instances booted once: a script that ended is not run again.
    private let booted = Mutex<Set<String>>([])
    private let poller = Mutex<Task<Void, Never>?>(nil)

    public init(moto: MotoServer, programs: [String: String], region: String = "eu-west-1",
                credentials: AWSCredentials = AWSCredentials(accessKeyID: "AKIDAGENT", secretAccessKey: "agent")) {
        client = AWSClient(configuration: AWSConfiguration(credentials: credentials, region: region, endpoints: ["": moto.endpoint]))
        self.programs = programs
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-ec2-agent-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// The processes running instances' user data now, by instance id.
    public var processes: [String: Int32] { running.withLock { $0.mapValues(\.processIdentifier) } }

    /// What an instance's user data started (its workers), as process ids.
    public func children(of instance: String) -> [Int32] {
        guard let process = running.withLock({ $0[instance] }) else { return [] }
        return Self.descendants(of: process.processIdentifier)
    }

    public func start() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let task = Task { [self] in
            while !Task.isCancelled {
                await poll()
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        poller.withLock { $0 = task }
    }

    /// Ends every instance's processes and removes the agent's files.
    public func stop() async {
        let task = poller.withLock { $0 }
        task?.cancel()
        await task?.value
        for process in running.withLock({ Array($0.values) }) { Self.endTree(process) }
        running.withLock { $0 = [:] }
        try? FileManager.default.removeItem(at: directory)
    }

    private func poll() async {
        guard let answer = try? await client.query("ec2", version: "2016-11-15", action: "DescribeInstances", []) else { return }
        let instances = answer.descendants("instancesSet").flatMap(\.children).compactMap { item -> (id: String, state: String)? in
            guard let id = item["instanceId"], let state = item["instanceState", "name"] else { return nil }
            return (id, state)
        }
        for (id, state) in instances {
            if state == "running", booted.withLock({ $0.insert(id).inserted }) {
                await boot(id)
            } else if state != "running", let process = running.withLock({ $0.removeValue(forKey: id) }) {
                Self.endTree(process)
            }
        }
        // A script that ended after asking to power off: the instance terminates.
        let ended = running.withLock { current in current.filter { !$0.value.isRunning } }
        for (id, _) in ended {
            running.withLock { _ = $0.removeValue(forKey: id) }
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("\(id)/shutdown-requested").path) {
                _ = try? await client.query("ec2", version: "2016-11-15", action: "TerminateInstances", [("InstanceId.1", id)])
            }
        }
    }

    private func boot(_ id: String) async {
        guard let answer = try? await client.query("ec2", version: "2016-11-15", action: "DescribeInstanceAttribute",
                                                   [("InstanceId", id), ("Attribute", "userData")]),
              let encoded = answer["userData", "value"], let data = Data(base64Encoded: encoded) else { return }
        var script = String(decoding: data, as: UTF8.self)
        guard script.hasPrefix("#!") else { return }
        for (image, here) in programs { script = script.replacingOccurrences(of: image, with: here) }
        let home = directory.appendingPathComponent(id), bin = home.appendingPathComponent("bin")
        do {
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            let shutdown = bin.appendingPathComponent("shutdown")
            try "#!/bin/sh\ntouch '\(home.path)/shutdown-requested'\n".write(to: shutdown, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: shutdown.path)
            let userData = home.appendingPathComponent("user-data")
            try script.write(to: userData, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [userData.path]
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            try process.run()
            running.withLock { $0[id] = process }
        } catch {
            return
        }
    }

    /// The process's descendants, from `/proc`'s parent links, deepest last.
    private static func descendants(of root: Int32) -> [Int32] {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "pid (name) state ppid": the name may hold spaces, so read after its ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { parents[pid] = parent }
        }
        var found: [Int32] = [], frontier = [root]
        while let next = frontier.popLast() {
            let children = parents.filter { $0.value == next }.map(\.key)
            found += children
            frontier += children
        }
        return found
    }

    /// Ends the script and everything it started, as an instance going away would.
    private static func endTree(_ process: Process) {
        let all = [process.processIdentifier] + descendants(of: process.processIdentifier)
        for pid in all { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while all.contains(where: { kill($0, 0) == 0 && !isZombie($0) }), Date() < deadline { usleep(20_000) }
        for pid in all where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }
}
