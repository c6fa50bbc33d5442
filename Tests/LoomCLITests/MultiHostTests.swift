import Foundation
import Loom
import LoomTestSupport
import Testing

/// The built `loom` executable.
func loomExecutable() throws -> String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("loom").path }
    return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "loom is not built")
}

/// A scheduler, two workers and a client, each on a test host of its own (network namespaces),
/// started with default flags as a new user would.
@Suite(.serialized, .enabled(if: TestNetwork.unavailableReason == nil, "test hosts: \(TestNetwork.unavailableReason ?? "")"))
struct MultiHostTests {
    static let bytes = 20_000_000

    @Test func defaultFlagsWorkAcrossHostsAndDataMovesWorkerToWorker() async throws {
        try await computeAcrossHosts(scheme: "tcp")
    }

    /// Certificates made by the openssl commands docs/deploy/multi-host.md gives; the scheduler
    /// and workers take them as flags (workers under their nannies pass them on), the client from
    /// `LOOM_COMM__TLS__…` variables.
    @Test func mutualTLSAcrossHostsWithOpenSSLCertificates() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/make-tls-certificates").path
        let made = try await runProcess("/bin/bash", [script, directory])
        try #require(made.status == 0, "\(made.output) \(made.error)")
        func flags(_ role: String) -> [String] {
            ["--tls-ca-file", "\(directory)/ca.pem", "--tls-cert", "\(directory)/\(role).pem", "--tls-key", "\(directory)/\(role).key"]
        }
        try await computeAcrossHosts(
            scheme: "tls", scheduler: flags("scheduler"), worker: flags("worker"),
            client: [
                "LOOM_COMM__TLS__CA_FILE": "\(directory)/ca.pem", "LOOM_COMM__TLS__CLIENT__CERT": "\(directory)/client.pem",
                "LOOM_COMM__TLS__CLIENT__KEY": "\(directory)/client.key", "LOOM_COMM__REQUIRE_ENCRYPTION": "true",
            ])
    }

    /// Scheduler, two workers and a client on hosts of their own; 20 MB made on one worker's
    /// host are checksummed on the other's.
    private func computeAcrossHosts(scheme: String, scheduler schedulerFlags: [String] = [], worker workerFlags: [String] = [],
                                    client environment: [String: String] = [:]) async throws {
        try await withTestNetwork(["scheduler", "w1", "w2", "client"]) { network in
            let schedulerHost = network.host("scheduler").address
            let scheduler = try network.start(try loomExecutable(), ["scheduler"] + schedulerFlags, on: "scheduler")
            // Every interface, and an address others can contact: this host's own (no default
            // route here, so its first non-loopback interface), never 0.0.0.0.
            let address = try await scheduler.line(after: "Scheduler at: ")
            #expect(address == "\(scheme)://\(schedulerHost):8786")
            #expect(try await scheduler.line(after: "Dashboard at: ") == "http://\(schedulerHost):8787/status")
            for host in ["w1", "w2"] {
                try network.start(TestTasks.workerExecutable, ["worker", address] + workerFlags, on: host)
            }
            let client = try await network.run(
                TestTasks.workerExecutable, ["multihost-client", address, "\(Self.bytes)"], on: "client", environment: environment)
            try #require(client.status == 0, "the client failed: \(client.output) \(client.error)")
            // Each worker advertises the address its host reaches the scheduler from.
            let workers = client.output.split(separator: "\n").filter { $0.hasPrefix("worker at: ") }.map { $0.dropFirst("worker at: ".count) }
            #expect(workers.count == 2, "\(client.output)")
            for (worker, host) in zip(workers, ["w1", "w2"]) {
                #expect(worker.hasPrefix("\(scheme)://\(network.host(host).address):"), "\(worker) advertises \(host)'s address")
            }
            let expected = [UInt8](unsafeUninitializedCapacity: Self.bytes) { buffer, count in
                for index in 0..<Self.bytes { buffer[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
                count = Self.bytes
            }.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }
            #expect(client.output.contains("checksum: \(expected)\n"), "\(client.output)")
            // The 20 MB went from w1's host to w2's, through neither the scheduler's nor the client's.
            let w1 = try await network.traffic(of: "w1"), w2 = try await network.traffic(of: "w2")
            let schedulerTraffic = try await network.traffic(of: "scheduler"), clientTraffic = try await network.traffic(of: "client")
            #expect(w1.sent > Self.bytes && w2.received > Self.bytes, "w1 sent \(w1.sent), w2 received \(w2.received)")
            #expect(schedulerTraffic.sent + schedulerTraffic.received < Self.bytes / 10, "the scheduler moved \(schedulerTraffic)")
            #expect(clientTraffic.sent + clientTraffic.received < Self.bytes / 10, "the client moved \(clientTraffic)")
        }
    }

    @Test func aWorkerAdvertisingLoopbackFromAnotherHostIsRefusedNamingTheFlag() async throws {
        try await withTestNetwork(["scheduler", "w1"]) { network in
            let scheduler = try network.start(try loomExecutable(), ["scheduler", "--dashboard-address", "none"], on: "scheduler")
            let address = try await scheduler.line(after: "Scheduler at: ")
            let worker = try await network.run(
                TestTasks.workerExecutable, ["worker", address, "--host", "127.0.0.1", "--no-nanny", "--name", "lonely"], on: "w1")
            #expect(worker.status != 0)
            #expect(worker.error.contains("refused worker lonely"), "\(worker.error)")
            #expect(worker.error.contains("advertises tcp://127.0.0.1:") && worker.error.contains("--host or --interface"), "\(worker.error)")
            #expect(scheduler.isRunning)
        }
    }
}
