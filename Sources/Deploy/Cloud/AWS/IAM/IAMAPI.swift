import Foundation

/// The IAM calls a cluster makes (the Query protocol, version 2010-05-08, global): the roles
/// its tasks run under.
public struct IAMAPI: Sendable {
    public let client: AWSClient
    static let version = "2010-05-08"
    /// Who may assume a task's roles: ECS's tasks.
    public static let ecsTasksTrust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#

    public init(client: AWSClient) { self.client = client }

    private func call(_ action: String, _ parameters: [(String, String)]) async throws -> XMLTree {
        try await client.query("iam", version: Self.version, action: action, parameters)
    }

    static func tags(_ tags: [String: String]) -> [(String, String)] {
        tags.sorted { $0.key < $1.key }.enumerated().flatMap { index, tag in
            [("Tags.member.\(index + 1).Key", tag.key), ("Tags.member.\(index + 1).Value", tag.value)]
        }
    }

    /// Makes the role (trusting ECS's tasks), or finds it made already; its ARN.
    public func ensureRole(_ name: String, description: String, tags: [String: String]) async throws -> String {
        do {
            let answer = try await call("CreateRole", [("RoleName", name), ("AssumeRolePolicyDocument", Self.ecsTasksTrust), ("Description", description)] + Self.tags(tags))
            if let arn = answer.descendants("Arn").first?.text { return arn }
        } catch let error as AWSError where error.code == "EntityAlreadyExists" {}
        guard let arn = try await call("GetRole", [("RoleName", name)]).descendants("Arn").first?.text else {
            throw AWSError(service: "iam", action: "GetRole", code: "MalformedAnswer", message: "no Arn for role \(name)", status: 200)
        }
        return arn
    }

    public func attachRolePolicy(_ role: String, policyARN: String) async throws {
        _ = try await call("AttachRolePolicy", [("RoleName", role), ("PolicyArn", policyARN)])
    }

    /// Puts an inline policy on the role (the secrets its tasks may read).
    public func putRolePolicy(_ role: String, name: String, document: String) async throws {
        _ = try await call("PutRolePolicy", [("RoleName", role), ("PolicyName", name), ("PolicyDocument", document)])
    }

    /// Detaches every managed policy, deletes every inline one, and deletes the role; a role
    /// already gone is fine.
    public func deleteRole(_ name: String) async throws {
        do {
            let attached = try await call("ListAttachedRolePolicies", [("RoleName", name)]).descendants("PolicyArn").map(\.text)
            for policy in attached { _ = try await call("DetachRolePolicy", [("RoleName", name), ("PolicyArn", policy)]) }
            let inline = try await call("ListRolePolicies", [("RoleName", name)]).descendants("PolicyNames").first?.children.map(\.text) ?? []
            for policy in inline { _ = try await call("DeleteRolePolicy", [("RoleName", name), ("PolicyName", policy)]) }
            _ = try await call("DeleteRole", [("RoleName", name)])
        } catch let error as AWSError where error.code == "NoSuchEntity" {}
    }

    /// The roles whose names start with `prefix`.
    public func roles(prefix: String) async throws -> [String] {
        var names: [String] = [], marker: String?
        repeat {
            let answer = try await call("ListRoles", marker.map { [("Marker", $0)] } ?? [])
            names += answer.descendants("RoleName").map(\.text).filter { $0.hasPrefix(prefix) }
            marker = answer.descendants("IsTruncated").first?.text == "true" ? answer.descendants("Marker").first?.text : nil
        } while marker != nil
        return names
    }
}
