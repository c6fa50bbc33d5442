import Foundation
import Loom
import LoomTestSupport
import Testing

// docs/deploy/cloud.md's IAM policy, evaluated by moto: a cluster's whole life under it, and a
// policy without ecs:RunTask denied by name.

@Suite(.serialized) struct FargatePolicyTests {
    /// The policy between the document's markers.
    static func documentedPolicy() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/deploy/cloud.md"), encoding: .utf8)
        guard let begin = text.range(of: "<!-- policy:begin -->"), let end = text.range(of: "<!-- policy:end -->") else {
            throw LoomError(.configuration, "docs/deploy/cloud.md has no policy markers")
        }
        return text[begin.upperBound..<end.lowerBound].replacingOccurrences(of: "```json", with: "").replacingOccurrences(of: "```", with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A user allowed `policy`, made with an unchecked request; its key.
    static func user(_ name: String, policy: String, setup: AWSClient) async throws -> AWSCredentials {
        _ = try await setup.query("iam", version: "2010-05-08", action: "CreateUser", [("UserName", name)])
        let key = try await setup.query("iam", version: "2010-05-08", action: "CreateAccessKey", [("UserName", name)])
        _ = try await setup.query("iam", version: "2010-05-08", action: "PutUserPolicy", [("UserName", name), ("PolicyName", name), ("PolicyDocument", policy)])
        let access = try #require(key.descendants("AccessKey").first)
        return AWSCredentials(accessKeyID: try #require(access["AccessKeyId"]), secretAccessKey: try #require(access["SecretAccessKey"]))
    }

    @Test func theDocumentedPolicySufficesAndOneWithoutRunTaskIsDeniedByName() async throws {
        let policy = try Self.documentedPolicy()
        let narrower = policy.replacingOccurrences(of: #""ecs:RunTask", "#, with: "")
        #expect(narrower != policy)
        // Nine unchecked requests make three users; every later one is checked.
        try await withMoto(noAuthRequests: 9) { moto in
            let setup = AWSClient(configuration: AWSConfiguration(
                credentials: AWSCredentials(accessKeyID: "AKIDSETUP", secretAccessKey: "setup"), region: "eu-west-1", endpoints: ["": moto.endpoint]))
            let loom = try await Self.user("loom", policy: policy, setup: setup)
            let agentKey = try await Self.user("agent", policy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, setup: setup)
            let narrow = try await Self.user("narrow", policy: narrower, setup: setup)
            let agent = ECSTaskAgent(moto: moto, executable: TestTasks.workerExecutable, credentials: agentKey)
            try await agent.start(region: "eu-west-1")
            defer { Task { await agent.stop() } }
            func configuration(_ credentials: AWSCredentials) -> AWSConfiguration {
                AWSConfiguration(credentials: credentials, region: "eu-west-1", endpoints: ["": moto.endpoint])
            }

            let cluster = try await FargateCluster(
                name: "loom-policy", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, executable: "/app/loom",
                configuration: configuration(loom), schedulerHost: "127.0.0.1")
            try await FargateClusterTests.closing(cluster) {
                try await cluster.scale(2)
                let client = try await Client(cluster, setAsDefault: false)
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<20))) == Array(1...20))
                await client.close()
            }
            #expect(try await AWSClusterResources.leftovers(name: "loom-policy", configuration: configuration(loom)).isEmpty)

            let denied = try await FargateCluster(
                name: "loom-narrow", image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, executable: "/app/loom",
                configuration: configuration(narrow), schedulerHost: "127.0.0.1")
            let error = await #expect(throws: (any Error).self) { try await denied.scale(1) }
            #expect("\(String(describing: error))".contains("AccessDenied") && "\(String(describing: error))".contains("ecs:RunTask"), "\(String(describing: error))")
            await denied.close()
            #expect(try await AWSClusterResources.leftovers(name: "loom-narrow", configuration: configuration(narrow)).isEmpty)
        }
    }

    @Test func theDocumentedPolicySufficesForInstancesToo() async throws {
        let policy = try Self.documentedPolicy()
        try await withMoto(noAuthRequests: 6) { moto in
            let setup = AWSClient(configuration: AWSConfiguration(
                credentials: AWSCredentials(accessKeyID: "AKIDSETUP", secretAccessKey: "setup"), region: "eu-west-1", endpoints: ["": moto.endpoint]))
            let loom = try await Self.user("loom", policy: policy, setup: setup)
            let agentKey = try await Self.user("agent", policy: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, setup: setup)
            let agent = EC2InstanceAgent(moto: moto, programs: ["/app/loom": TestTasks.workerExecutable], credentials: agentKey)
            try agent.start()
            defer { Task { await agent.stop() } }
            let configuration = AWSConfiguration(credentials: loom, region: "eu-west-1", endpoints: ["": moto.endpoint])
            let images = try await AWSClient(configuration: AWSConfiguration(credentials: agentKey, region: "eu-west-1", endpoints: ["": moto.endpoint]))
                .query("ec2", version: "2016-11-15", action: "DescribeImages", [("Owner.1", "amazon")])
            let cluster = try await EC2Cluster(
                name: "loom-policy-ec2", ami: try #require(images.descendants("imageId").first?.text), instanceType: "m5.large",
                executable: "/app/loom", configuration: configuration, schedulerHost: "127.0.0.1")
            try await FargateClusterTests.closing(cluster) {
                try await cluster.scale(1)
                let client = try await Client(cluster, setAsDefault: false)
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<20))) == Array(1...20))
                await client.close()
            }
            #expect(try await AWSClusterResources.leftovers(name: "loom-policy-ec2", configuration: configuration).isEmpty)
        }
    }
}
