import Foundation
import Loom
import LoomTestSupport
import Testing

/// SSHCluster against real OpenSSH servers on test hosts: the program runs on a client host of
/// its own and reaches the others only through ssh.
@Suite(.serialized, .enabled(if: TestSSH.unavailableReason == nil, "sshd on test hosts: \(TestSSH.unavailableReason ?? "")"))
struct SSHClusterTests {
    static let hosts = ["client", "node1", "node2", "node3"]

    /// Loom's processes (the test worker executable) running on `host` now.
    static func loomProcesses(on host: String, in network: TestNetwork) async throws -> [String] {
        let pids = try await runProcess(TestNetwork.ip, ["netns", "pids", network.host(host).namespace])
        return pids.output.split(separator: "\n").compactMap { pid in
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.replacingOccurrences(of: "\0", with: " ") ?? ""
            return command.contains("loom-test-worker") ? command : nil
        }
    }

    func checkComputes(mode: String, scheme: String) async throws {
        try await withTestNetwork(Self.hosts) { network in
            let ssh = try await TestSSH(on: ["node1", "node2", "node3"], in: network)
            let nodes = ["node1", "node2", "node3"].map { network.host($0).address }
            let run = try await network.run(
                TestTasks.workerExecutable, ["ssh-cluster", ssh.clientConfig, mode] + nodes, on: "client")
            try #require(run.status == 0, "the program failed: \(run.output)\n\(run.error)")
            let lines = run.output.split(separator: "\n").map(String.init)
            #expect(lines.contains("scheduler at: \(scheme)://\(nodes[0]):8786"), "\(run.output)")
            #expect(lines.contains("dashboard at: http://\(nodes[0]):8787/status"), "\(run.output)")
            let workers = lines.filter { $0.hasPrefix("worker at: ") }
            #expect(workers.count == 2 && workers[0].hasPrefix("worker at: \(scheme)://\(nodes[1]):")
                && workers[1].hasPrefix("worker at: \(scheme)://\(nodes[2]):"), "one worker on each worker host: \(workers)")
            #expect(lines.contains("total: \((1...200).reduce(0, +))"), "\(run.output)")
            #expect(lines.contains("scaled to: 4"), "\(run.output)")
            #expect(lines.contains { $0.hasPrefix("scaled down to: 1 ") }, "\(run.output)")
            #expect(lines.contains("adapted to: 2"), "\(run.output)")
            #expect(lines.last == "closed")
            // close() left nothing on the hosts: no process, no copied certificate.
            for host in ["node1", "node2", "node3"] {
                try await eventually("no Loom process left on \(host)") { try await Self.loomProcesses(on: host, in: network).isEmpty }
            }
            let copies = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("loom-tls-ssh-") }
            #expect(copies.isEmpty, "certificates left behind: \(copies)")
        }
    }

    @Test func schedulerOnTheFirstHostWorkersOnTheOthersScaleAndClose() async throws {
        try await checkComputes(mode: "compute", scheme: "tcp")
    }

    @Test func temporaryTLSCertificatesAreCopiedToTheHostsAndRemoved() async throws {
        try await checkComputes(mode: "tls", scheme: "tls")
    }

    @Test func aLostSSHSessionEndsWhatItStarted() async throws {
        try await withTestNetwork(Self.hosts) { network in
            let ssh = try await TestSSH(on: ["node1", "node2", "node3"], in: network)
            let nodes = ["node1", "node2", "node3"].map { network.host($0).address }
            let lifeline = Pipe()
            let program = try network.start(
                TestTasks.workerExecutable, ["ssh-cluster", ssh.clientConfig, "hold"] + nodes, on: "client",
                input: lifeline.fileHandleForReading)
            _ = try await program.line(after: "ready", timeout: .seconds(120))
            #expect(try await !Self.loomProcesses(on: "node2", in: network).isEmpty)
            // The ssh session of node2's worker dies (as when the link drops): the worker goes with it.
            let clientPIDs = try await runProcess(TestNetwork.ip, ["netns", "pids", network.host("client").namespace])
            for pid in clientPIDs.output.split(separator: "\n") {
                let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                if command.hasPrefix("ssh\0") || command.contains("/ssh\0"), command.contains(nodes[1]), let id = Int32(pid) { kill(id, SIGKILL) }
            }
            try await eventually("node2's worker to stop once its ssh session is gone") {
                try await Self.loomProcesses(on: "node2", in: network).isEmpty
            }
            #expect(try await !Self.loomProcesses(on: "node1", in: network).isEmpty, "the scheduler stays")
            // The program itself ending (here: killed) ends every session, and so everything it started.
            kill(program.pid, SIGKILL)
            for host in ["node1", "node3"] {
                try await eventually("no Loom process left on \(host)") { try await Self.loomProcesses(on: host, in: network).isEmpty }
            }
            try? lifeline.fileHandleForWriting.close()
        }
    }

    @Test func aHostThatRefusesTheConnectionIsReportedInSSHsWords() async throws {
        try await withTestNetwork(["client", "node1"]) { network in
            let ssh = try await TestSSH(on: [], in: network)
            // node1 runs no sshd: its port 22 refuses.
            let run = try await network.run(
                TestTasks.workerExecutable, ["ssh-cluster", ssh.clientConfig, "compute", network.host("node1").address, network.host("node1").address],
                on: "client")
            #expect(run.status != 0)
            #expect(run.error.contains("the scheduler on \(network.host("node1").address) did not start"), "\(run.error)")
            #expect(run.error.contains("port 22: Connection refused"), "ssh's own words: \(run.error)")
        }
    }
}
