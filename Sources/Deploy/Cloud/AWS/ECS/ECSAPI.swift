import Foundation

/// The ECS calls a cluster makes (JSON 1.1, `AmazonEC2ContainerServiceV20141113`), with the
/// fields Loom reads and writes; AWS's field names.
public struct ECSAPI: Sendable {
    public let client: AWSClient
    static let target = "AmazonEC2ContainerServiceV20141113"

    public init(client: AWSClient) { self.client = client }

    private func call<Answer: Decodable>(_ action: String, _ body: some Encodable, as: Answer.Type = Answer.self) async throws -> Answer {
        try await client.json("ecs", targetPrefix: Self.target, action: action, body, as: Answer.self)
    }

    public struct Tag: Codable, Sendable, Hashable {
        public var key: String
        public var value: String
        public init(key: String, value: String) { (self.key, self.value) = (key, value) }
    }

    public struct Cluster: Codable, Sendable {
        public var clusterArn: String
        public var clusterName: String?
        public var status: String?
    }

    public struct Failure: Codable, Sendable {
        public var arn: String?
        public var reason: String?
        public var detail: String?
    }

    public func createCluster(name: String, tags: [Tag]) async throws -> Cluster {
        struct Request: Encodable { var clusterName: String; var tags: [Tag]; var capacityProviders = ["FARGATE", "FARGATE_SPOT"] }
        struct Answer: Decodable { var cluster: Cluster }
        return try await call("CreateCluster", Request(clusterName: name, tags: tags), as: Answer.self).cluster
    }

    /// The clusters of these names or ARNs that exist (inactive ones included, as ECS keeps them).
    public func describeClusters(_ clusters: [String]) async throws -> [Cluster] {
        struct Request: Encodable { var clusters: [String] }
        struct Answer: Decodable { var clusters: [Cluster]? }
        return try await call("DescribeClusters", Request(clusters: clusters), as: Answer.self).clusters ?? []
    }

    public func deleteCluster(_ cluster: String) async throws {
        struct Request: Encodable { var cluster: String }
        struct Answer: Decodable {}
        _ = try await call("DeleteCluster", Request(cluster: cluster), as: Answer.self)
    }

    public struct KeyValue: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { (self.name, self.value) = (name, value) }
    }

    public struct LogConfiguration: Codable, Sendable {
        public var logDriver = "awslogs"
        public var options: [String: String]
        public init(group: String, region: String, streamPrefix: String) {
            options = ["awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": streamPrefix]
        }
    }

    public struct ContainerDefinition: Codable, Sendable {
        public var name: String
        public var image: String
        public var essential = true
        public var command: [String]?
        /// Given on the container as well as the task: moto sums the containers' own.
        public var cpu: Int
        public var memory: Int
        public var environment: [KeyValue] = []
        /// Environment variables ECS sets from secrets at start (`valueFrom`: a secret's ARN).
        public var secrets: [Secret]?
        public var logConfiguration: LogConfiguration?

        public init(name: String, image: String, command: [String]? = nil, cpu: Int, memory: Int,
                    environment: [KeyValue] = [], secrets: [Secret]? = nil, logConfiguration: LogConfiguration? = nil) {
            self.name = name
            self.image = image
            self.command = command
            self.cpu = cpu
            self.memory = memory
            self.environment = environment
            self.secrets = secrets
            self.logConfiguration = logConfiguration
        }
    }

    public struct Secret: Codable, Sendable, Hashable {
        public var name: String
        public var valueFrom: String
        public init(name: String, valueFrom: String) { (self.name, self.valueFrom) = (name, valueFrom) }
    }

    public struct TaskDefinition: Codable, Sendable {
        public var taskDefinitionArn: String
        public var family: String?
        public var revision: Int?
    }

    /// A task definition for `compatibility` (`FARGATE` or `EC2`): `awsvpc`, the size on the task
    /// and its one container.
    public func registerTaskDefinition(family: String, size: FargateSize, compatibility: String = "FARGATE", container: ContainerDefinition,
                                       executionRoleArn: String?, taskRoleArn: String?, tags: [Tag]) async throws -> TaskDefinition {
        struct Request: Encodable {
            var family: String
            var networkMode = "awsvpc"
            var requiresCompatibilities: [String]
            var cpu: String
            var memory: String
            var executionRoleArn: String?
            var taskRoleArn: String?
            var containerDefinitions: [ContainerDefinition]
            var tags: [Tag]
        }
        struct Answer: Decodable { var taskDefinition: TaskDefinition }
        return try await call("RegisterTaskDefinition", Request(
            family: family, requiresCompatibilities: [compatibility], cpu: String(size.cpu), memory: String(size.memory), executionRoleArn: executionRoleArn,
            taskRoleArn: taskRoleArn, containerDefinitions: [container], tags: tags), as: Answer.self).taskDefinition
    }

    public func deregisterTaskDefinition(_ arn: String) async throws {
        struct Request: Encodable { var taskDefinition: String }
        struct Answer: Decodable {}
        _ = try await call("DeregisterTaskDefinition", Request(taskDefinition: arn), as: Answer.self)
    }

    /// The task definitions of a family prefix still active.
    public func listTaskDefinitions(familyPrefix: String) async throws -> [String] {
        struct Request: Encodable { var familyPrefix: String; var status = "ACTIVE" }
        struct Answer: Decodable { var taskDefinitionArns: [String]? }
        return try await call("ListTaskDefinitions", Request(familyPrefix: familyPrefix), as: Answer.self).taskDefinitionArns ?? []
    }

    public struct Attachment: Codable, Sendable {
        public var type: String?
        public var details: [KeyValue]?
    }

    public struct Container: Codable, Sendable {
        public var name: String?
        public var lastStatus: String?
        public var exitCode: Int?
        public var reason: String?
    }

    public struct ContainerOverride: Codable, Sendable {
        public var name: String
        public var command: [String]?
        public var environment: [KeyValue]?
        public init(name: String, command: [String]? = nil, environment: [KeyValue]? = nil) {
            self.name = name
            self.command = command
            self.environment = environment
        }
    }

    public struct Overrides: Codable, Sendable {
        public var containerOverrides: [ContainerOverride]?
    }

    public struct Task: Codable, Sendable {
        public var taskArn: String
        public var lastStatus: String?
        public var desiredStatus: String?
        public var stoppedReason: String?
        public var taskDefinitionArn: String?
        public var attachments: [Attachment]?
        public var containers: [Container]?
        public var overrides: Overrides?
        public var tags: [Tag]?

        /// The network interface of an `awsvpc` task, once it has one.
        public var networkInterfaceID: String? {
            attachments?.first { $0.type == "ElasticNetworkInterface" }?.details?.first { $0.name == "networkInterfaceId" }?.value
        }

        /// Why it stopped, in ECS's words: the task's reason and its containers'.
        public var stopDescription: String {
            let containers = (containers ?? []).compactMap { container -> String? in
                guard container.reason != nil || container.exitCode != nil else { return nil }
                return "container \(container.name ?? "?")" + (container.exitCode.map { " exited \($0)" } ?? "") + (container.reason.map { ": \($0)" } ?? "")
            }
            return ([stoppedReason ?? "stopped"] + containers).joined(separator: "; ")
        }
    }

    public struct NetworkConfiguration: Codable, Sendable {
        public struct AWSVPC: Codable, Sendable {
            public var subnets: [String]
            public var securityGroups: [String]
            public var assignPublicIp: String
        }
        public var awsvpcConfiguration: AWSVPC
        public init(subnets: [String], securityGroups: [String], publicIP: Bool) {
            awsvpcConfiguration = AWSVPC(subnets: subnets, securityGroups: securityGroups, assignPublicIp: publicIP ? "ENABLED" : "DISABLED")
        }
    }

    /// Starts one task; throws ECS's reason when it starts none (no capacity, a bad subnet).
    public func runTask(cluster: String, taskDefinition: String, launchType: String = "FARGATE", network: NetworkConfiguration?,
                        override: ContainerOverride, tags: [Tag], startedBy: String) async throws -> Task {
        struct Request: Encodable {
            var cluster: String
            var taskDefinition: String
            var count = 1
            var launchType: String
            var networkConfiguration: NetworkConfiguration?
            var overrides: Overrides
            var tags: [Tag]
            var startedBy: String
            var propagateTags = "TASK_DEFINITION"
        }
        struct Answer: Decodable { var tasks: [Task]?; var failures: [Failure]? }
        let answer = try await call("RunTask", Request(
            cluster: cluster, taskDefinition: taskDefinition, launchType: launchType, networkConfiguration: network,
            overrides: Overrides(containerOverrides: [override]), tags: tags, startedBy: String(startedBy.prefix(36))), as: Answer.self)
        guard let task = answer.tasks?.first else {
            let reasons = (answer.failures ?? []).map { [$0.reason, $0.detail].compactMap { $0 }.joined(separator: ": ") }
            throw AWSError(service: "ecs", action: "RunTask", code: "TaskNotStarted",
                           message: reasons.isEmpty ? "ECS started no task" : reasons.joined(separator: "; "), status: 200)
        }
        return task
    }

    public func describeTasks(cluster: String, _ tasks: [String]) async throws -> [Task] {
        guard !tasks.isEmpty else { return [] }
        struct Request: Encodable { var cluster: String; var tasks: [String]; var include = ["TAGS"] }
        struct Answer: Decodable { var tasks: [Task]? }
        var found: [Task] = []
        // DescribeTasks takes at most 100 tasks a call.
        for start in stride(from: 0, to: tasks.count, by: 100) {
            found += try await call("DescribeTasks", Request(cluster: cluster, tasks: Array(tasks[start..<min(start + 100, tasks.count)])), as: Answer.self).tasks ?? []
        }
        return found
    }

    /// The tasks of `cluster` that should be running (or have stopped, with `desiredStatus: "STOPPED"`).
    public func listTasks(cluster: String, desiredStatus: String = "RUNNING", startedBy: String? = nil) async throws -> [String] {
        struct Request: Encodable { var cluster: String; var desiredStatus: String; var startedBy: String?; var nextToken: String? }
        struct Answer: Decodable { var taskArns: [String]?; var nextToken: String? }
        var arns: [String] = [], next: String?
        repeat {
            let answer = try await call("ListTasks", Request(cluster: cluster, desiredStatus: desiredStatus, startedBy: startedBy.map { String($0.prefix(36)) }, nextToken: next), as: Answer.self)
            arns += answer.taskArns ?? []
            next = answer.nextToken
        } while next != nil
        return arns
    }

    public func stopTask(cluster: String, task: String, reason: String) async throws {
        struct Request: Encodable { var cluster: String; var task: String; var reason: String }
        struct Answer: Decodable {}
        _ = try await call("StopTask", Request(cluster: cluster, task: task, reason: String(reason.prefix(255))), as: Answer.self)
    }
}
