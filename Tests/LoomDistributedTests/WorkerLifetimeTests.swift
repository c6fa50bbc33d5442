import Foundation
import Loom
import LoomTestSupport
import Testing
@testable import LoomDistributed
@testable import LoomRuntime

/// Workers never outlive their scheduler: they exit when it goes, and give up on one that
/// never answers after their death timeout, without their nanny starting them again.
@Suite(.serialized) struct WorkerLifetimeTests {
    @Test func aWorkerWithoutASchedulerExitsAfterItsDeathTimeout() async throws {
        // A port nothing listens on any more.
        let listener = try await Transport.listen(host: "127.0.0.1", port: 0)
        let port = try #require(listener.channel.localAddress?.port)
        try await listener.channel.close()
        let (status, _, error) = try await runProcess(
            TestTasks.workerExecutable, ["worker", "tcp://127.0.0.1:\(port)", "--nthreads", "1", "--death-timeout", "1"])
        #expect(status != 0)
        #expect(error.contains("found no scheduler at tcp://127.0.0.1:\(port) within its death timeout"))
        #expect(error.components(separatedBy: "found no scheduler at").count == 2, "the nanny did not start it again: \(error)")
    }

    @Test func workersExitWhenTheSchedulerGoes() async throws {
        let scheduler = try await RunningScheduler()
        let worker = Task { try await runProcess(TestTasks.workerExecutable, ["worker", scheduler.address.description, "--nthreads", "1"]) }
        // Up and running: its first heartbeat came.
        try await eventually("the worker's first heartbeat") { await scheduler.server.workerStatuses().contains { $0.metrics != WorkerMetrics() } }
        #expect(await scheduler.server.workerCount == 1)
        await scheduler.stop()
        // runProcess returns once the nanny and its worker have both exited (their pipes close).
        let (status, _, error) = try await worker.value
        #expect(status == 0, "left on purpose: \(error)")
    }

    @Test func aSilentWorkerIsRemovedAfterTheTimeToLive() async throws {
        let running = try await RunningScheduler(SchedulerOptions(port: 0, stealInterval: .milliseconds(20), workerTTL: .milliseconds(500)))
        let scheduler = running.server
        // A worker that says hello, then nothing: its connection stays open.
        let connection = try await Transport.connect(to: running.address)
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.send([.hello(Hello(role: .worker, name: "mute", address: "tcp://127.0.0.1:1", threads: 1))])
            try await eventually("the mute worker to join") { await scheduler.workerCount > 0 }
            #expect(await scheduler.workerCount == 1)
            try await eventually("the mute worker to be removed as lost after missing its heartbeats") { await scheduler.workerCount == 0 }
        }
        await running.stop()
    }
}

extension WorkerLifetimeTests {
    /// A worker past its lifetime (a batch job nearing its walltime) retires gracefully: its
    /// only copies move to a worker that stays, then it exits and its nanny does not restart it.
    @Test func aWorkerPastItsLifetimeRetiresAndHandsItsDataOver() async throws {
        try await withCluster(workers: 1) { cluster, client in
            let shortLived = Task {
                try await runProcess(TestTasks.workerExecutable, [
                    "worker", client.schedulerAddress.description, "--nthreads", "1", "--name", "short-lived",
                    "--lifetime", "6", "--lifetime-stagger", "0",
                ])
            }
            // Scattered as soon as it joined: well within its 6-s lifetime, even on a busy machine.
            try await eventually("the short-lived worker to join", interval: .milliseconds(5)) {
                await cluster.base.scheduler.connectedWorkerNames.contains("short-lived")
            }
            let value = try await client.scatter([7, 8, 9], workers: ["short-lived"])
            let (status, _, error) = try await shortLived.value
            #expect(status == 0, "it left on purpose: \(error.suffix(300))")
            #expect(try await client.schedulerInfo().map(\.name) != ["short-lived"])
            #expect(try await value.result() == [7, 8, 9], "the scattered value was copied before it went")
        }
    }
}
