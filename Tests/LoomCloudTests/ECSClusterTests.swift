import Foundation
import Loom
import LoomTestSupport
import Testing

// ECSCluster: tasks in an ECS cluster that exists already, on its EC2 container instance.

@Suite(.serialized) struct ECSClusterTests {
    struct Empty: Codable {}
    struct Registration: Encodable { var cluster: String; var instanceIdentityDocument: String }

    @Test func tasksRunOnTheClustersInstancesAndTheClusterStays() async throws {
        try await withMoto(noAuthRequests: 1_000_000) { moto in
            let configuration = FargateClusterTests.configuration(moto)
            let client = AWSClient(configuration: configuration)
            let ecs = ECSAPI(client: client)
            // The user's cluster and one container instance (an EC2 instance of moto's).
            let existing = try await ecs.createCluster(name: "users-cluster", tags: [])
            let images = try await client.query("ec2", version: "2016-11-15", action: "DescribeImages", [("Owner.1", "amazon")])
            let image = try #require(images.descendants("imageId").first?.text)
            let instance = try await client.query("ec2", version: "2016-11-15", action: "RunInstances",
                                                  [("ImageId", image), ("MinCount", "1"), ("MaxCount", "1"), ("InstanceType", "m5.large")])
            let instanceID = try #require(instance.descendants("instanceId").first?.text)
            _ = try await client.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "RegisterContainerInstance",
                                      Registration(cluster: existing.clusterArn, instanceIdentityDocument: #"{"instanceId":"\#(instanceID)"}"#), as: Empty.self)

            let agent = ECSTaskAgent(moto: moto, executable: TestTasks.workerExecutable)
            try await agent.start(region: "eu-west-1")
            defer { Task { await agent.stop() } }
            // Any size the instances have: not one of Fargate's.
            let cluster = try await ECSCluster(
                clusterARN: existing.clusterArn, launchType: .ec2, name: "loom-on-ec2", image: "example/loom:1", workerCPU: 1000, workerMemory: 1500,
                executable: "/app/loom", configuration: configuration, schedulerHost: "127.0.0.1")
            try await FargateClusterTests.closing(cluster) {
                try await cluster.scale(2)
                let loom = try await Client(cluster, setAsDefault: false)
                #expect(try await loom.gather(try await loom.map(TestTasks.inc, Array(0..<30))) == Array(1...30))
                let started = try await ecs.listTasks(cluster: existing.clusterArn, startedBy: "loom-on-ec2")
                #expect(started.count == 2)
                // What a killed program would leave: its tasks in the user's cluster too.
                let leftovers = try await AWSClusterResources.leftovers(name: "loom-on-ec2", configuration: configuration)
                #expect(Set(started.map { "task/\($0)" }).isSubset(of: Set(leftovers)) && !leftovers.contains { $0.hasPrefix("ecs-cluster/") }, "\(leftovers)")
                await loom.close()
            }
            #expect(try await ecs.describeClusters([existing.clusterArn]).first?.status == "ACTIVE", "the user's cluster stays")
            #expect(try await ecs.listTasks(cluster: existing.clusterArn).isEmpty)
            #expect(try await AWSClusterResources.leftovers(name: "loom-on-ec2", configuration: configuration).isEmpty)

            let small = await #expect(throws: LoomError.self) {
                try await ECSCluster(clusterARN: existing.clusterArn, image: "example/loom:1", workerCPU: 64, workerMemory: 1500, configuration: configuration)
            }
            #expect(small?.message.contains("at least 128 CPU units") == true)
            let missing = await #expect(throws: LoomError.self) {
                try await ECSCluster(clusterARN: "no-such-cluster", name: "loom-missing", image: "example/loom:1", configuration: configuration)
            }
            #expect(missing?.message.contains("there is no active ECS cluster no-such-cluster") == true, "\(String(describing: missing))")
            #expect(try await AWSClusterResources.leftovers(name: "loom-missing", configuration: configuration).isEmpty, "a refused start leaves nothing")
        }
    }
}
