import Foundation
import LoomTestSupport
import Testing
@testable import LoomCloud

// The client against moto with signatures checked and IAM policies evaluated: both protocols,
// a policy that allows some calls and not others, a wrong secret.

@Suite struct AWSClientMotoTests {
    struct ListClusters: Codable { var clusterArns: [String] }
    struct Empty: Codable {}

    @Test func signedCallsPassAndWhatThePolicyForbidsIsDeniedByName() async throws {
        // Three unchecked requests make the user, its key and its policy; every later one is checked.
        try await withMoto(noAuthRequests: 3) { moto in
            let setup = AWSClient(configuration: AWSConfiguration(
                credentials: AWSCredentials(accessKeyID: "AKIDSETUP", secretAccessKey: "setup"), region: "eu-west-1", endpoints: ["": moto.endpoint]))
            _ = try await setup.query("iam", version: "2010-05-08", action: "CreateUser", [("UserName", "loom")])
            let key = try await setup.query("iam", version: "2010-05-08", action: "CreateAccessKey", [("UserName", "loom")])
            let id = try #require(key.descendants("AccessKey").first?["AccessKeyId"])
            let secret = try #require(key.descendants("AccessKey").first?["SecretAccessKey"])
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecs:ListClusters","ec2:DescribeVpcs"],"Resource":"*"}]}"#
            _ = try await setup.query("iam", version: "2010-05-08", action: "PutUserPolicy", [("UserName", "loom"), ("PolicyName", "loom"), ("PolicyDocument", policy)])

            let client = AWSClient(configuration: AWSConfiguration(
                credentials: AWSCredentials(accessKeyID: id, secretAccessKey: secret), region: "eu-west-1", endpoints: ["": moto.endpoint]))
            let clusters = try await client.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "ListClusters", Empty(), as: ListClusters.self)
            #expect(clusters.clusterArns.isEmpty)
            let vpcs = try await client.query("ec2", version: "2016-11-15", action: "DescribeVpcs", [("Filter.1.Name", "is-default"), ("Filter.1.Value.1", "true")])
            #expect(vpcs.descendants("vpcId").count == 1, "moto's default VPC")

            let denied = await #expect(throws: AWSError.self) {
                try await client.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "CreateCluster", ["clusterName": "loom"], as: Empty.self)
            }
            #expect(denied?.code == "AccessDenied" && denied?.message.contains("ecs:CreateCluster") == true, "\(String(describing: denied))")
            #expect(denied.map { !client.retry.isTransient($0) } == true, "a denial is not tried again")

            let forged = AWSClient(configuration: AWSConfiguration(
                credentials: AWSCredentials(accessKeyID: id, secretAccessKey: "not-" + secret), region: "eu-west-1", endpoints: ["": moto.endpoint]))
            let wrong = await #expect(throws: AWSError.self) {
                try await forged.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "ListClusters", Empty(), as: ListClusters.self)
            }
            #expect(wrong?.code == "SignatureDoesNotMatch", "\(String(describing: wrong))")
        }
    }
}
