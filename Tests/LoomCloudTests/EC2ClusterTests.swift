import Foundation
import Loom
import LoomTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

// EC2Cluster against moto, with the agent booting its instances: their user data runs here.

@Suite(.serialized) struct EC2ClusterTests {
    /// moto with the agent booting its instances (the image's `/app/loom` is the test worker).
    static func withInstances<T>(_ body: (MotoServer, EC2InstanceAgent, String) async throws -> T) async throws -> T {
        try await withMoto(noAuthRequests: 1_000_000) { moto in
            let agent = EC2InstanceAgent(moto: moto, programs: ["/app/loom": TestTasks.workerExecutable])
            try agent.start()
            do {
                let images = try await AWSClient(configuration: FargateClusterTests.configuration(moto))
                    .query("ec2", version: "2016-11-15", action: "DescribeImages", [("Owner.1", "amazon")])
                let ami = try #require(images.descendants("imageId").first?.text)
                let result = try await body(moto, agent, ami)
                await agent.stop()
                return result
            } catch {
                await agent.stop()
                throw error
            }
        }
    }

    @Test func userDataStartsTheWorkersAndAnInstanceWhoseWorkersDiedIsReplaced() async throws {
        try await Self.withInstances { moto, agent, ami in
            let configuration = FargateClusterTests.configuration(moto)
            let ec2 = EC2API(client: AWSClient(configuration: configuration))
            let cluster = try await EC2Cluster(
                name: "loom-ec2-test", ami: ami, instanceType: "m5.large", workersPerInstance: 2, executable: "/app/loom",
                configuration: configuration, schedulerHost: "127.0.0.1")
            // m5.large: 2 vCPUs and 8192 MiB, shared by two workers with a tenth kept back.
            #expect(cluster.workerThreads == 1 && cluster.workerMemory == 3686)
            try await FargateClusterTests.closing(cluster) {
                try await cluster.scale(4)
                let client = try await Client(cluster, setAsDefault: false)
                #expect(try await client.schedulerInfo().count == 4)
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<100))) == Array(1...100))
                let instances = try await ec2.instances(taggedWith: CloudTags.cluster, "loom-ec2-test")
                #expect(instances.count == 2 && instances.allSatisfy { $0.state == "running" && $0.tags[CloudTags.createdBy] == "loom" })
                #expect(Set(agent.processes.keys) == Set(instances.map(\.id)), "each instance's user data runs")
                let userData = try await AWSClient(configuration: configuration).query(
                    "ec2", version: "2016-11-15", action: "DescribeInstanceAttribute", [("InstanceId", instances[0].id), ("Attribute", "userData")])
                let script = String(decoding: Data(base64Encoded: try #require(userData["userData", "value"])) ?? Data(), as: UTF8.self)
                #expect(script.components(separatedBy: "/app/loom worker tcp://127.0.0.1:").count == 3 && script.hasSuffix("wait\nshutdown -h now\n"), "\(script)")

                // Both workers of one instance die: its script powers it off, EC2 terminates
                // it, and adapt starts another in its place.
                cluster.adapt(minimum: 4, maximum: 4)
                let victim = instances[0].id
                let workers = agent.children(of: victim)
                #expect(workers.count >= 2)
                for pid in workers { kill(pid, SIGKILL) }
                try await eventually("the instance whose workers died terminates and another replaces it", timeout: .seconds(120)) {
                    let now = try await ec2.instances(taggedWith: CloudTags.cluster, "loom-ec2-test")
                    return now.count == 2 && !now.contains { $0.id == victim }
                }
                try await client.waitForWorkers(4, timeout: .seconds(120))
                #expect(cluster.instances.first { $0.id == victim }?.state == "terminated")
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<50))) == Array(1...50))
                await client.close()
            }
            #expect(try await AWSClusterResources.leftovers(name: "loom-ec2-test", configuration: configuration).isEmpty, "close() left something")
            #expect(try await ec2.describeInstances(cluster.instances.map(\.id)).allSatisfy { $0.state == "terminated" })
        }
    }

    @Test func sizesThatDoNotFitAreRefusedBeforeAnythingIsMade() async throws {
        try await Self.withInstances { (moto: MotoServer, _: EC2InstanceAgent, ami: String) async throws in
            let configuration = FargateClusterTests.configuration(moto)
            let tooMuch = await #expect(throws: LoomError.self) {
                try await EC2Cluster(name: "loom-ec2-big", ami: ami, instanceType: "m5.large", workersPerInstance: 2, workerMemory: 6000,
                                     configuration: configuration)
            }
            #expect(tooMuch?.message.contains("do not fit m5.large (2 vCPUs, 8192 MiB)") == true, "\(String(describing: tooMuch))")
            let unknown = await #expect(throws: AWSError.self) {
                try await EC2Cluster(name: "loom-ec2-big", ami: ami, instanceType: "m99.huge", configuration: configuration)
            }
            #expect(unknown?.description.contains("m99.huge") == true, "\(String(describing: unknown))")
            #expect(try await AWSClusterResources.leftovers(name: "loom-ec2-big", configuration: configuration).isEmpty)
        }
    }
}
