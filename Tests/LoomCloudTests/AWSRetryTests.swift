import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing
@testable import LoomCloud

// Throttling and transient answers tried again; others not; attempts bounded. The service is a
// small HTTP server of the test's own that answers as ECS does when it throttles.

@Suite struct AWSRetryTests {
    /// Serves `answers` in turn (the last again and again) on a free loopback port while `body` runs;
    /// returns `body`'s result and how many requests came.
    static func serving<T: Sendable>(_ answers: [(HTTPResponse.Status, String)], _ body: @Sendable (URL) async throws -> T) async throws -> (T, Int) {
        let count = Mutex(0)
        let router = Router()
        router.post("/") { _, _ -> Response in
            let index = count.withLock { value in defer { value += 1 }; return value }
            let (status, text) = answers[min(index, answers.count - 1)]
            return Response(status: status, headers: [.contentType: "application/x-amz-json-1.1"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let (bound, announce) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "aws-retry-test")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in announce.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var ports = bound.makeAsyncIterator()
            let port = try #require(await ports.next())
            defer { group.cancelAll() }
            let result = try await body(URL(string: "http://127.0.0.1:\(port)/")!)
            return (result, count.withLock { $0 })
        }
    }

    static func client(_ endpoint: URL, attempts: Int = 5) -> AWSClient {
        AWSClient(configuration: AWSConfiguration(credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"), region: "eu-west-1", endpoints: ["": endpoint]),
                  retry: AWSRetryPolicy(maximumAttempts: attempts, baseDelay: 0.01, maximumDelay: 0.05))
    }

    struct Clusters: Codable, Sendable { var clusterArns: [String] }
    struct Empty: Codable, Sendable {}
    static let throttled = (HTTPResponse.Status.badRequest, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)

    @Test func throttlingIsTriedAgainUntilItPasses() async throws {
        let (answer, requests) = try await Self.serving([Self.throttled, (.serviceUnavailable, ""), (.ok, #"{"clusterArns":["arn:x"]}"#)]) { endpoint in
            try await Self.client(endpoint).json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "ListClusters", Empty(), as: Clusters.self)
        }
        #expect(answer.clusterArns == ["arn:x"] && requests == 3)
    }

    @Test func otherErrorsAreNotAndAttemptsAreBounded() async throws {
        let (denied, once) = try await Self.serving([(.badRequest, #"{"__type":"AccessDeniedException","message":"no"}"#)]) { endpoint in
            do {
                _ = try await Self.client(endpoint).json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "RunTask", Empty(), as: Empty.self)
                return nil as AWSError?
            } catch let error as AWSError { return error }
        }
        #expect(denied?.code == "AccessDeniedException" && once == 1)
        let (throttled, attempts) = try await Self.serving([Self.throttled]) { endpoint in
            do {
                _ = try await Self.client(endpoint, attempts: 4).json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "RunTask", Empty(), as: Empty.self)
                return nil as AWSError?
            } catch let error as AWSError { return error }
        }
        #expect(throttled?.description == "ThrottlingException: Rate exceeded (ecs RunTask, HTTP 400)" && attempts == 4)
    }
}
