import Foundation

/// The EC2 calls of a cluster of instances: their types' sizes, starting them with user data,
/// describing and terminating them.
extension EC2API {
    /// One instance as `DescribeInstances` gives it.
    public struct Instance: Sendable, Hashable {
        public var id: String
        /// `pending`, `running`, `shutting-down`, `terminated`, `stopping`, `stopped`.
        public var state: String
        /// Why it left `running` (`Server.SpotInstanceTermination: …`), once it did.
        public var stateReason: String?
        public var privateIP: String?
        public var publicIP: String?
        public var tags: [String: String]

        init(_ item: XMLTree) {
            id = item["instanceId"] ?? ""
            state = item["instanceState", "name"] ?? ""
            let reason = [item["stateReason", "code"], item["stateReason", "message"]].compactMap { $0 }.filter { !$0.isEmpty }
            stateReason = reason.isEmpty ? item["reason"].flatMap { $0.isEmpty ? nil : $0 } : reason.joined(separator: ": ")
            privateIP = item["privateIpAddress"]
            publicIP = item["ipAddress"]
            tags = (item.child("tagSet")?.children ?? []).reduce(into: [:]) { tags, tag in
                if let key = tag["key"] { tags[key] = tag["value"] ?? "" }
            }
        }

        /// Gone, or going, for good.
        public var hasEnded: Bool { ["shutting-down", "terminated", "stopping", "stopped"].contains(state) }
    }

    /// What an instance type offers: its vCPUs and memory.
    public struct InstanceType: Sendable, Hashable {
        public var name: String
        public var vCPUs: Int
        public var memoryMiB: Int
    }

    /// The type's size; an unknown type fails with EC2's own error (`InvalidInstanceType`).
    public func instanceType(_ name: String) async throws -> InstanceType {
        let answer = try await client.query("ec2", version: Self.version, action: "DescribeInstanceTypes", [("InstanceType.1", name)])
        guard let item = answer.descendants("instanceTypeSet").first?.children.first,
              let vCPUs = item["vCpuInfo", "defaultVCpus"].flatMap(Int.init), let memory = item["memoryInfo", "sizeInMiB"].flatMap(Int.init) else {
            throw AWSError(service: "ec2", action: "DescribeInstanceTypes", code: "InvalidInstanceType",
                           message: "EC2 describes no instance type \(name) in \(client.configuration.region)", status: 200)
        }
        return InstanceType(name: name, vCPUs: vCPUs, memoryMiB: memory)
    }

    /// What `runInstance` starts.
    public struct Launch: Sendable {
        public var ami: String
        public var instanceType: String
        /// The script cloud-init runs at boot (given here as text; sent base64-encoded).
        public var userData: String
        public var securityGroups: [String]
        public var subnet: String?
        public var keyName: String?
        public var instanceProfile: String?
        public var tags: [String: String]
        /// The same token for the same launch: a retried request starts no second instance.
        public var clientToken: String
    }

    /// Starts one instance that terminates when it shuts itself down.
    public func runInstance(_ launch: Launch) async throws -> Instance {
        var parameters: [(String, String)] = [
            ("ImageId", launch.ami), ("InstanceType", launch.instanceType), ("MinCount", "1"), ("MaxCount", "1"),
            ("UserData", Data(launch.userData.utf8).base64EncodedString()), ("ClientToken", launch.clientToken),
            ("InstanceInitiatedShutdownBehavior", "terminate"),
        ]
        parameters += launch.securityGroups.enumerated().map { ("SecurityGroupId.\($0.offset + 1)", $0.element) }
        if let subnet = launch.subnet { parameters.append(("SubnetId", subnet)) }
        if let key = launch.keyName { parameters.append(("KeyName", key)) }
        if let profile = launch.instanceProfile { parameters.append(("IamInstanceProfile.Name", profile)) }
        // The instance and its volumes carry the cluster's tags.
        parameters += Self.tagSpecification("instance", launch.tags)
        parameters += Self.tagSpecification("volume", launch.tags, index: 2)
        let answer = try await call("RunInstances", parameters)
        guard let item = answer.descendants("instancesSet").first?.children.first else {
            throw AWSError(service: "ec2", action: "RunInstances", code: "MalformedAnswer", message: "no instance in the answer", status: 200)
        }
        return Instance(item)
    }

    public func describeInstances(_ ids: [String]) async throws -> [Instance] {
        guard !ids.isEmpty else { return [] }
        let answer = try await call("DescribeInstances", ids.enumerated().map { ("InstanceId.\($0.offset + 1)", $0.element) })
        return Self.instances(in: answer)
    }

    /// The instances carrying tag `key` = `value` that have not terminated.
    public func instances(taggedWith key: String, _ value: String) async throws -> [Instance] {
        let answer = try await call("DescribeInstances", Self.filters([
            ("tag:\(key)", [value]), ("instance-state-name", ["pending", "running", "shutting-down", "stopping", "stopped"]),
        ]))
        return Self.instances(in: answer)
    }

    public func terminateInstances(_ ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        _ = try await call("TerminateInstances", ids.enumerated().map { ("InstanceId.\($0.offset + 1)", $0.element) })
    }

    private static func instances(in answer: XMLTree) -> [Instance] {
        answer.descendants("instancesSet").flatMap(\.children).map(Instance.init)
    }
}
