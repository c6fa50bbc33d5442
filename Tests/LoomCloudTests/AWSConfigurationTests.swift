import Foundation
import LoomCore
import Testing
@testable import LoomCloud

// Where credentials, the region and endpoints come from, in the AWS SDKs' order.

@Suite struct AWSConfigurationTests {
    static let files = (
        credentials: """
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = secret-default
            # a comment
            [work]
            aws_access_key_id=AKIDWORK
            aws_secret_access_key=secret-work
            aws_session_token = token-work
            """,
        config: """
            [default]
            region = eu-west-1
            [profile work]
            region = us-west-2
            endpoint_url = http://127.0.0.1:5000
            """)

    static func resolve(_ environment: [String: String]) throws -> AWSConfiguration {
        try AWSConfiguration.resolve(environment: environment, credentialsFile: files.credentials, configFile: files.config)
    }

    @Test func theEnvironmentWinsOverTheProfileFiles() throws {
        let fromFiles = try Self.resolve([:])
        #expect(fromFiles.credentials == AWSCredentials(accessKeyID: "AKIDDEFAULT", secretAccessKey: "secret-default"))
        #expect(fromFiles.region == "eu-west-1")
        #expect(fromFiles.endpoint(for: "ecs").absoluteString == "https://ecs.eu-west-1.amazonaws.com/")
        #expect(fromFiles.endpoint(for: "iam").absoluteString == "https://iam.amazonaws.com/" && fromFiles.signingRegion(for: "iam") == "us-east-1")

        let work = try Self.resolve(["AWS_PROFILE": "work"])
        #expect(work.credentials == AWSCredentials(accessKeyID: "AKIDWORK", secretAccessKey: "secret-work", sessionToken: "token-work"))
        #expect(work.region == "us-west-2" && work.endpoint(for: "logs").absoluteString == "http://127.0.0.1:5000")

        let environment = try Self.resolve([
            "AWS_PROFILE": "work", "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env", "AWS_DEFAULT_REGION": "ap-south-1",
            "AWS_REGION": "sa-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:6000", "AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:7000",
        ])
        #expect(environment.credentials == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: "secret-env"))
        #expect(environment.region == "sa-east-1")
        #expect(environment.endpoint(for: "ecs").absoluteString == "http://127.0.0.1:7000")
        #expect(environment.endpoint(for: "ec2").absoluteString == "http://127.0.0.1:6000")
    }

    @Test func whatIsMissingIsNamed() throws {
        let noSecret = #expect(throws: LoomError.self) { try Self.resolve(["AWS_ACCESS_KEY_ID": "AKID"]) }
        #expect(noSecret?.message.contains("AWS_SECRET_ACCESS_KEY is not") == true)
        let none = #expect(throws: LoomError.self) {
            try AWSConfiguration.resolve(environment: ["AWS_REGION": "eu-west-1"], credentialsFile: nil, configFile: nil)
        }
        #expect(none?.message.contains("no AWS credentials") == true)
        let noRegion = #expect(throws: LoomError.self) {
            try AWSConfiguration.resolve(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"], credentialsFile: nil, configFile: nil)
        }
        #expect(noRegion?.message.contains("no AWS region") == true)
        let badEndpoint = #expect(throws: LoomError.self) { try Self.resolve(["AWS_ENDPOINT_URL_EC2": "localhost:5000"]) }
        #expect(badEndpoint?.message.contains("AWS_ENDPOINT_URL_EC2 is 'localhost:5000'") == true)
    }

    @Test func errorsAreReadInEitherProtocolsWords() {
        let json = AWSError.parse(Array(#"{"__type":"com.amazonaws.ecs#ClientException","message":"bad cpu"}"#.utf8), status: 400, service: "ecs", action: "RunTask")
        #expect(json.code == "ClientException" && json.message == "bad cpu")
        #expect(json.description == "ClientException: bad cpu (ecs RunTask, HTTP 400)")
        let xml = AWSError.parse(Array("""
            <?xml version="1.0"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>
            """.utf8), status: 503, service: "ec2", action: "RunInstances")
        #expect(xml.code == "RequestLimitExceeded" && xml.message == "Request limit exceeded.")
        let bare = AWSError.parse([], status: 502, service: "logs", action: "GetLogEvents")
        #expect(bare.code == "HTTP502")
        let policy = AWSRetryPolicy()
        #expect(policy.isTransient(xml) && policy.isTransient(bare) && !policy.isTransient(json))
        #expect(policy.isTransient(AWSError(service: "ecs", action: "RunTask", code: "ThrottlingException", message: "", status: 400)))
    }

    @Test func backoffGrowsToItsCapWithFullJitter() {
        let policy = AWSRetryPolicy(maximumAttempts: 8, baseDelay: 0.2, maximumDelay: 20)
        #expect(policy.delay(afterAttempt: 1, random: 0.999) < 0.2 && policy.delay(afterAttempt: 1, random: 0) == 0)
        #expect(abs(policy.delay(afterAttempt: 4, random: 0.5) - 0.8) < 1e-9)
        #expect(policy.delay(afterAttempt: 30, random: 0.5) == 10, "capped at 20 s before the jitter")
    }
}
