import Foundation

/// The EC2 calls a cluster makes (the Query protocol, version 2016-11-15): the default VPC and
/// its subnets, security groups, network interfaces; instances in `EC2Instances.swift`.
public struct EC2API: Sendable {
    public let client: AWSClient
    static let version = "2016-11-15"

    public init(client: AWSClient) { self.client = client }

    func call(_ action: String, _ parameters: [(String, String)]) async throws -> XMLTree {
        try await client.query("ec2", version: Self.version, action: action, parameters)
    }

    /// `Filter.1.Name=…`, `Filter.1.Value.1=…` for each filter.
    static func filters(_ filters: [(name: String, values: [String])]) -> [(String, String)] {
        filters.enumerated().flatMap { index, filter in
            [("Filter.\(index + 1).Name", filter.name)] + filter.values.enumerated().map { ("Filter.\(index + 1).Value.\($0.offset + 1)", $0.element) }
        }
    }

    /// `TagSpecification.N.ResourceType=…` and its tags (`N` = `index`).
    static func tagSpecification(_ resourceType: String, _ tags: [String: String], index: Int = 1) -> [(String, String)] {
        let prefix = "TagSpecification.\(index)"
        return [("\(prefix).ResourceType", resourceType)] + tags.sorted { $0.key < $1.key }.enumerated().flatMap { number, tag in
            [("\(prefix).Tag.\(number + 1).Key", tag.key), ("\(prefix).Tag.\(number + 1).Value", tag.value)]
        }
    }

    /// The account's default VPC in this region, if it has one.
    public func defaultVPC() async throws -> String? {
        try await call("DescribeVpcs", Self.filters([("is-default", ["true"])])).descendants("vpcId").first?.text
    }

    public func subnets(of vpc: String) async throws -> [String] {
        try await call("DescribeSubnets", Self.filters([("vpc-id", [vpc])])).descendants("subnetId").map(\.text)
    }

    public func createSecurityGroup(name: String, description: String, vpc: String, tags: [String: String]) async throws -> String {
        let answer = try await call("CreateSecurityGroup", [("GroupName", name), ("GroupDescription", description), ("VpcId", vpc)]
            + Self.tagSpecification("security-group", tags))
        guard let id = answer["groupId"] else {
            throw AWSError(service: "ec2", action: "CreateSecurityGroup", code: "MalformedAnswer", message: "no groupId in the answer", status: 200)
        }
        return id
    }

    /// TCP `ports` from `cidr`, and every TCP port from members of the group itself.
    public func authorizeIngress(group: String, ports: [ClosedRange<Int>], from cidr: String) async throws {
        var parameters: [(String, String)] = [("GroupId", group)]
        for (index, range) in ports.enumerated() {
            let prefix = "IpPermissions.\(index + 1)"
            parameters += [("\(prefix).IpProtocol", "tcp"), ("\(prefix).FromPort", String(range.lowerBound)),
                           ("\(prefix).ToPort", String(range.upperBound)), ("\(prefix).IpRanges.1.CidrIp", cidr)]
        }
        let prefix = "IpPermissions.\(ports.count + 1)"
        parameters += [("\(prefix).IpProtocol", "tcp"), ("\(prefix).FromPort", "0"), ("\(prefix).ToPort", "65535"),
                       ("\(prefix).Groups.1.GroupId", group)]
        _ = try await call("AuthorizeSecurityGroupIngress", parameters)
    }

    /// The security groups carrying tag `key` = `value`: their ids.
    public func securityGroups(taggedWith key: String, _ value: String) async throws -> [String] {
        try await securityGroupTags(taggedWith: key, value).map(\.id)
    }

    /// The same groups with all their tags.
    public func securityGroupTags(taggedWith key: String, _ value: String) async throws -> [(id: String, tags: [String: String])] {
        let answer = try await call("DescribeSecurityGroups", Self.filters([("tag:\(key)", [value])]))
        return answer.descendants("securityGroupInfo").first?.children.compactMap { item in
            item["groupId"].map { id in
                (id, (item.child("tagSet")?.children ?? []).reduce(into: [:]) { tags, tag in if let key = tag["key"] { tags[key] = tag["value"] ?? "" } })
            }
        } ?? []
    }

    public func deleteSecurityGroup(_ id: String) async throws {
        _ = try await call("DeleteSecurityGroup", [("GroupId", id)])
    }

    /// An interface's private address and, when it has one, its public address.
    public func addresses(ofInterface id: String) async throws -> (private: String?, public: String?) {
        let answer = try await call("DescribeNetworkInterfaces", [("NetworkInterfaceId.1", id)])
        let interface = answer.descendants("networkInterfaceSet").first?.children.first
        return (interface?["privateIpAddress"], interface?["association", "publicIp"])
    }
}
