import Foundation
import Loom
import Synchronization

/// Hosts of a test's own on this one machine: network namespaces, each with an `eth0` on a
/// bridge in a namespace of its own, addresses 10.250.0.1, .2, … that exist only there (no
/// route leads anywhere else). Processes started on a host run inside its namespace.
///
/// Use `withTestNetwork`: it removes the namespaces and every process in them afterwards, also
/// when the test fails; namespaces a crashed earlier run left are removed on the next start.
public final class TestNetwork: Sendable {
    public struct Host: Sendable {
        public let name: String
        public let namespace: String
        public let address: String
    }

    public let hosts: [Host]
    private let bridge: String
    /// Where the hosts' processes write their output.
    public let directory: String
    private let processes = Mutex<[Process]>([])
    static let prefix = "loomt"

    /// Why test hosts cannot be made here, or nil when they can (root, and iproute2's `ip`).
    public static let unavailableReason: String? = {
        guard getuid() == 0 else { return "network namespaces need root" }
        guard FileManager.default.isExecutableFile(atPath: ip) else { return "iproute2's ip is not installed" }
        return nil
    }()

    public static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first(where: FileManager.default.isExecutableFile) ?? "/usr/sbin/ip"

    init(hosts names: [String]) async throws {
        await Self.removeStale()
        let tag = "\(Self.prefix)-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        bridge = "\(tag)-br"
        hosts = names.enumerated().map { index, name in Host(name: name, namespace: "\(tag)-\(index)", address: "10.250.0.\(index + 1)") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-logs").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            try await Self.ip(["netns", "add", bridge])
            try await Self.ip(["-n", bridge, "link", "add", "br0", "type", "bridge"])
            try await Self.ip(["-n", bridge, "link", "set", "br0", "up"])
            for (index, host) in hosts.enumerated() {
                try await Self.ip(["netns", "add", host.namespace])
                // Both ends are made inside the namespaces: nothing appears on this machine's own network.
                try await Self.ip(["link", "add", "eth0", "netns", host.namespace, "type", "veth", "peer", "name", "port\(index)", "netns", bridge])
                try await Self.ip(["-n", bridge, "link", "set", "port\(index)", "master", "br0", "up"])
                try await Self.ip(["-n", host.namespace, "addr", "add", "\(host.address)/24", "dev", "eth0"])
                try await Self.ip(["-n", host.namespace, "link", "set", "eth0", "up"])
                try await Self.ip(["-n", host.namespace, "link", "set", "lo", "up"])
            }
        } catch {
            await remove()
            throw error
        }
    }

    public func host(_ name: String) -> Host { hosts.first { $0.name == name }! }

    /// Starts `executable` on `host`; its output goes to a log file (`log(of:)`).
    @discardableResult
    public func start(_ executable: String, _ arguments: [String], on host: String, environment: [String: String] = [:],
                      input: FileHandle? = nil) throws -> HostProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.ip)
        process.arguments = ["netns", "exec", self.host(host).namespace, executable] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let log = "\(directory)/\(host)-\(UInt32.random(in: 0...UInt32.max)).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardInput = input ?? FileHandle.nullDevice
        try process.run()
        processes.withLock { $0.append(process) }
        return HostProcess(process: process, log: log, host: host)
    }

    /// Runs `executable` on `host` to completion.
    public func run(_ executable: String, _ arguments: [String], on host: String, environment: [String: String] = [:]) async throws
        -> (status: Int32, output: String, error: String)
    {
        try await runProcess(Self.ip, ["netns", "exec", self.host(host).namespace, executable] + arguments, environment: environment)
    }

    /// Bytes `host` has sent and received on its network interface so far.
    public func traffic(of host: String) async throws -> (sent: Int, received: Int) {
        let listing = try await runProcess(Self.ip, ["-n", self.host(host).namespace, "-j", "-s", "link", "show", "eth0"])
        guard let entries = try JSONSerialization.jsonObject(with: Data(listing.output.utf8)) as? [[String: Any]],
              let stats = entries.first?["stats64"] as? [String: Any],
              let sent = (stats["tx"] as? [String: Any])?["bytes"] as? Int, let received = (stats["rx"] as? [String: Any])?["bytes"] as? Int
        else { throw LoomError(.configuration, "cannot read the traffic of \(host): \(listing.output) \(listing.error)") }
        return (sent, received)
    }

    /// Ends every process on the hosts and removes the namespaces and logs.
    public func remove() async {
        for process in processes.withLock({ $0 }) where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for namespace in hosts.map(\.namespace) + [bridge] { await Self.removeNamespace(namespace) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func removeNamespace(_ namespace: String) async {
        // Also what the hosts' processes started themselves (sshd's sessions, nannies' workers).
        if let pids = try? await runProcess(ip, ["netns", "pids", namespace]) {
            for pid in pids.output.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        _ = try? await runProcess(ip, ["netns", "delete", namespace])
    }

    /// Namespaces of runs whose process is gone.
    private static func removeStale() async {
        guard let listing = try? await runProcess(ip, ["netns", "list"]) else { return }
        for line in listing.output.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count >= 3, parts[0] == prefix, let pid = Int32(parts[1]), kill(pid, 0) != 0 else { continue }
            await removeNamespace(name)
        }
    }

    private static func ip(_ arguments: [String]) async throws {
        let result = try await runProcess(ip, arguments)
        guard result.status == 0 else {
            throw LoomError(.configuration, "ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.error)")
        }
    }
}

/// A process on a test host, writing to a log file.
public struct HostProcess: Sendable {
    let process: Process
    public let log: String
    public let host: String

    public var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }

    /// The rest of the first line of output that starts with `prefix` ("Scheduler at: ").
    public func line(after prefix: String, timeout: Duration = .seconds(60)) async throws -> String {
        var found: String?
        try await eventually("\(host) to print '\(prefix)' (or to end); it said:\n\(output)", timeout: timeout) {
            found = output.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            return found != nil || !process.isRunning
        }
        guard let found else { throw LoomError(.configuration, "\(host) ended without printing '\(prefix)':\n\(output)") }
        return found
    }

    public func terminate() { if process.isRunning { kill(process.processIdentifier, SIGTERM) } }

    public func waitForExit() async throws {
        try await eventually("\(host)'s process to end") { !process.isRunning }
    }
}

extension Process: @retroactive @unchecked Sendable {}

/// Runs `body` on test hosts named `names`, then removes them, also when `body` throws.
public func withTestNetwork<T>(_ names: [String], _ body: (TestNetwork) async throws -> T) async throws -> T {
    let network = try await TestNetwork(hosts: names)
    do {
        let result = try await body(network)
        await network.remove()
        return result
    } catch {
        await network.remove()
        throw error
    }
}
