import Foundation
import Testing
@testable import LoomCloud

// Signature Version 4 against AWS's published test suite (get-vanilla, get-vanilla-query-order-key,
// post-x-www-form-urlencoded), and against botocore for a session token, a JSON 1.1 call and an
// encoded path and query (the values botocore's SigV4Auth gives for the same request and time).

@Suite struct SigV4Tests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let time = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    static func signature(_ method: String, _ url: String, headers: [(String, String)] = [], body: String = "",
                          service: String = "service", token: String? = nil) throws -> String {
        var credentials = credentials
        credentials.sessionToken = token
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: service)
        let request = AWSRequest(method: method, url: try #require(URL(string: url)), headers: headers.map { ($0.0, $0.1) }, body: Array(body.utf8))
        return try #require(signer.signed(request, at: time).header("Authorization"))
    }

    @Test func theTestSuitesRequestsSignAsPublished() throws {
        let scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
        #expect(try Self.signature("GET", "https://example.amazonaws.com/")
            == "\(scope), SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(try Self.signature("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1")
            == "\(scope), SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        #expect(try Self.signature("POST", "https://example.amazonaws.com/", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1")
            == "\(scope), SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    @Test func tokensJSONCallsAndEncodedPathsSignAsBotocoreDoes() throws {
        let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
        #expect(try Self.signature("GET", "https://example.amazonaws.com/", token: token).hasSuffix(
            "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=c8db8b9676d526f735dac5330f17623554c6cad1e2980d321903e9a3884c051b"))
        let json = try Self.signature("POST", "https://ecs.us-east-1.amazonaws.com/", headers: [
            ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"),
        ], body: "{}", service: "ecs")
        #expect(json == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ecs/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=72ef431968ce01533229ae66dc760665e3b0498d448583c7bb848a233b3ccb0d")
        // A path and query encoded as the SDKs encode them (unreserved characters as they are).
        #expect(try Self.signature("GET", "https://example.amazonaws.com/a%20b/c?x=a%2Fb&y=~&a=%E1%88%B4").hasSuffix(
            "Signature=d028310f3c4b7604abf35a6309a8903209b266b2726abb8bcd6a17ba1df8f783"))
    }

    @Test func canonicalPiecesFollowTheRules() {
        #expect(SigV4Signer.canonicalQuery("b=2&a=3&a=1&c") == "a=1&a=3&b=2&c=")
        #expect(SigV4Signer.canonicalQuery("k=a+b&s=%2f") == "k=a%20b&s=%2F")
        #expect(SigV4Signer.uriEncode("a b/ü~*") == "a%20b%2F%C3%BC~%2A")
        #expect(SigV4Signer.canonicalPath("/a%20b/") == "/a%2520b/")
        #expect(SigV4Signer.timestamps(Self.time) == ("20150830T123600Z", "20150830"))
    }
}
