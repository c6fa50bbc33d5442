import Foundation

/// The Secrets Manager calls a cluster makes (JSON 1.1, `secretsmanager`): the TLS certificates
/// its tasks get as environment variables, never written in a task definition in clear.
public struct SecretsManagerAPI: Sendable {
    public let client: AWSClient
    static let target = "secretsmanager"

    public init(client: AWSClient) { self.client = client }

    struct Tag: Codable, Sendable { var Key: String; var Value: String }

    /// Stores `value` under `name`; its ARN.
    public func create(_ name: String, value: String, tags: [String: String]) async throws -> String {
        struct Request: Encodable { var Name: String; var SecretString: String; var Tags: [Tag] }
        struct Answer: Decodable { var ARN: String }
        return try await client.json("secretsmanager", targetPrefix: Self.target, action: "CreateSecret", Request(
            Name: name, SecretString: value, Tags: tags.sorted { $0.key < $1.key }.map { Tag(Key: $0.key, Value: $0.value) }), as: Answer.self).ARN
    }

    public func value(of secret: String) async throws -> String {
        struct Request: Encodable { var SecretId: String }
        struct Answer: Decodable { var SecretString: String? }
        return try await client.json("secretsmanager", targetPrefix: Self.target, action: "GetSecretValue", Request(SecretId: secret), as: Answer.self).SecretString ?? ""
    }

    /// Deletes the secret at once (no recovery window: a cluster's certificates are its own); one already gone is fine.
    public func delete(_ secret: String) async throws {
        struct Request: Encodable { var SecretId: String; var ForceDeleteWithoutRecovery = true }
        struct Answer: Decodable {}
        do {
            _ = try await client.json("secretsmanager", targetPrefix: Self.target, action: "DeleteSecret", Request(SecretId: secret), as: Answer.self)
        } catch let error as AWSError where error.code == "ResourceNotFoundException" {}
    }

    /// The ARNs of the secrets whose names start with `prefix`.
    public func secrets(prefix: String) async throws -> [String] {
        struct Filter: Encodable { var Key = "name"; var Values: [String] }
        struct Request: Encodable { var Filters: [Filter]; var NextToken: String? }
        struct Entry: Decodable { var ARN: String; var Name: String }
        struct Answer: Decodable { var SecretList: [Entry]?; var NextToken: String? }
        var found: [String] = [], next: String?
        repeat {
            let answer = try await client.json("secretsmanager", targetPrefix: Self.target, action: "ListSecrets",
                                               Request(Filters: [Filter(Values: [prefix])], NextToken: next), as: Answer.self)
            found += (answer.SecretList ?? []).filter { $0.Name.hasPrefix(prefix) }.map(\.ARN)
            next = answer.NextToken
        } while next != nil
        return found
    }
}
