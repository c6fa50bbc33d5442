import Foundation

/// The CloudWatch Logs calls a cluster makes (JSON 1.1, `Logs_20140328`): its tasks' log group
/// and their streams' events.
public struct LogsAPI: Sendable {
    public let client: AWSClient
    static let target = "Logs_20140328"

    public init(client: AWSClient) { self.client = client }

    private struct Nothing: Decodable {}

    /// Makes the group with `retentionDays`, or keeps the one there.
    public func ensureGroup(_ name: String, retentionDays: Int, tags: [String: String]) async throws {
        struct Create: Encodable { var logGroupName: String; var tags: [String: String] }
        struct Retention: Encodable { var logGroupName: String; var retentionInDays: Int }
        do {
            _ = try await client.json("logs", targetPrefix: Self.target, action: "CreateLogGroup", Create(logGroupName: name, tags: tags), as: Nothing.self)
        } catch let error as AWSError where error.code == "ResourceAlreadyExistsException" {}
        _ = try await client.json("logs", targetPrefix: Self.target, action: "PutRetentionPolicy", Retention(logGroupName: name, retentionInDays: retentionDays), as: Nothing.self)
    }

    public func deleteGroup(_ name: String) async throws {
        struct Request: Encodable { var logGroupName: String }
        do {
            _ = try await client.json("logs", targetPrefix: Self.target, action: "DeleteLogGroup", Request(logGroupName: name), as: Nothing.self)
        } catch let error as AWSError where error.code == "ResourceNotFoundException" {}
    }

    public func groupExists(_ name: String) async throws -> Bool {
        struct Request: Encodable { var logGroupNamePrefix: String }
        struct Group: Decodable { var logGroupName: String }
        struct Answer: Decodable { var logGroups: [Group]? }
        let answer = try await client.json("logs", targetPrefix: Self.target, action: "DescribeLogGroups", Request(logGroupNamePrefix: name), as: Answer.self)
        return answer.logGroups?.contains { $0.logGroupName == name } ?? false
    }

    public struct Event: Codable, Sendable, Hashable {
        /// Milliseconds since 1970.
        public var timestamp: Int64
        public var message: String
    }

    /// A stream's events, oldest first, up to `limit`; none when the stream does not exist yet.
    public func events(group: String, stream: String, limit: Int = 10_000) async throws -> [Event] {
        struct Request: Encodable { var logGroupName: String; var logStreamName: String; var startFromHead = true; var limit: Int }
        struct Answer: Decodable { var events: [Event]? }
        do {
            return try await client.json("logs", targetPrefix: Self.target, action: "GetLogEvents",
                                         Request(logGroupName: group, logStreamName: stream, limit: limit), as: Answer.self).events ?? []
        } catch let error as AWSError where error.code == "ResourceNotFoundException" {
            return []
        }
    }
}
