import Foundation
import LoomCore
import Logging

/// What a Loom cluster made in an AWS account, so `close()` removes exactly that, and what a
/// killed program left is found again by the cluster's name and tags (`loom cloud cleanup`, the
/// next start under the same name).
public struct AWSClusterResources: Sendable {
    /// On the security group of a cluster whose tasks run in an ECS cluster it did not make:
    /// that cluster's ARN, where cleanup finds the tasks it started.
    static let taskClusterTag = "loom-task-cluster"

    /// The ECS cluster it made (and deletes), and the one its tasks run in (made or given).
    var cluster: String?
    var taskCluster: String?
    var taskDefinitions: [String] = []
    var instances: [String] = []
    var securityGroup: String?
    var logGroup: String?
    var roles: [String] = []
    var secrets: [String] = []
    /// The cluster's name: `startedBy` of its tasks.
    var name = ""

    /// What a cluster named `name` left, as `kind/id`: its tasks and instances, task
    /// definitions, security group, secrets, roles, ECS cluster and log group.
    public static func leftovers(name: String, configuration: AWSConfiguration? = nil) async throws -> [String] {
        try await find(name: name, client: AWSClient(configuration: try configuration ?? AWSConfiguration.fromEnvironment())).listed
    }

    /// Removes what `leftovers` lists; what it removed.
    @discardableResult
    public static func cleanup(name: String, configuration: AWSConfiguration? = nil) async throws -> [String] {
        try await cleanup(name: name, client: AWSClient(configuration: try configuration ?? AWSConfiguration.fromEnvironment()))
    }

    static func cleanup(name: String, client: AWSClient) async throws -> [String] {
        let (made, listed) = try await find(name: name, client: client)
        await made.remove(client: client)
        return listed
    }

    /// Removes what it lists: tasks and instances first (a security group in use cannot go),
    /// then the rest; failures are logged, not thrown (`cleanup` finds what they left).
    func remove(client: AWSClient) async {
        let logger = Logger.loom("loom.cloud")
        let ecs = ECSAPI(client: client), ec2 = EC2API(client: client)
        func attempt(_ what: String, _ body: () async throws -> Void) async {
            do { try await body() } catch { logger.error("cannot remove \(what): \(error)") }
        }
        if let cluster = taskCluster {
            // In a cluster of its own every task is its; in a given one, those it started.
            await attempt("the tasks of \(cluster)") {
                for task in try await ecs.listTasks(cluster: cluster, startedBy: self.cluster == nil ? name : nil) {
                    try await ecs.stopTask(cluster: cluster, task: task, reason: "the Loom cluster closed")
                }
            }
        }
        await attempt("instances \(instances)") { try await ec2.terminateInstances(instances) }
        for definition in taskDefinitions { await attempt("task definition \(definition)") { try await ecs.deregisterTaskDefinition(definition) } }
        if let group = securityGroup {
            // Stopped tasks' network interfaces and terminating instances hold the group a while.
            await attempt("security group \(group)") {
                var tries = 0
                while true {
                    do {
                        try await ec2.deleteSecurityGroup(group)
                        return
                    } catch let error as AWSError where error.code == "DependencyViolation" && tries < 60 {
                        tries += 1
                        try await Task.sleep(for: .seconds(2))
                    }
                }
            }
        }
        if let group = logGroup { await attempt("log group \(group)") { try await LogsAPI(client: client).deleteGroup(group) } }
        for secret in secrets { await attempt("secret \(secret)") { try await SecretsManagerAPI(client: client).delete(secret) } }
        for role in roles { await attempt("role \(role)") { try await IAMAPI(client: client).deleteRole(role) } }
        if let cluster { await attempt("ECS cluster \(cluster)") { try await ecs.deleteCluster(cluster) } }
    }

    /// Everything of cluster `name`, found by name (the ECS cluster, `NAME-worker` task
    /// definitions, `NAME-execution` and `NAME-task`, `/loom/NAME`, `loom/NAME/` secrets) and by
    /// tag (the security group, instances).
    static func find(name: String, client: AWSClient) async throws -> (made: AWSClusterResources, listed: [String]) {
        let ecs = ECSAPI(client: client), ec2 = EC2API(client: client), iam = IAMAPI(client: client)
        var listed: [String] = []
        var made = AWSClusterResources()
        made.name = name
        if let cluster = try await ecs.describeClusters([name]).first(where: { $0.status == "ACTIVE" }) {
            made.cluster = cluster.clusterArn
            made.taskCluster = cluster.clusterArn
            listed += try await ecs.listTasks(cluster: cluster.clusterArn).map { "task/\($0)" }
            listed.append("ecs-cluster/\(cluster.clusterArn)")
        }
        for role in ["worker", "scheduler"] {
            // Exactly this cluster's families (`NAME-worker:3`), not a longer name's.
            for definition in try await ecs.listTaskDefinitions(familyPrefix: "\(name)-\(role)")
            where definition.split(separator: "/").last?.split(separator: ":").first.map(String.init) == "\(name)-\(role)" {
                made.taskDefinitions.append(definition)
                listed.append("task-definition/\(definition)")
            }
        }
        made.instances = try await ec2.instances(taggedWith: CloudTags.cluster, name).map(\.id)
        listed += made.instances.map { "instance/\($0)" }
        if let group = try await ec2.securityGroupTags(taggedWith: CloudTags.cluster, name).first {
            made.securityGroup = group.id
            listed.append("security-group/\(group.id)")
            // Tasks in an ECS cluster it did not make (ECSCluster): those it started there.
            if made.taskCluster == nil, let cluster = group.tags[Self.taskClusterTag] {
                made.taskCluster = cluster
                listed += try await ecs.listTasks(cluster: cluster, startedBy: name).map { "task/\($0)" }
            }
        }
        made.secrets = try await SecretsManagerAPI(client: client).secrets(prefix: "loom/\(name)/")
        listed += made.secrets.map { "secret/\($0)" }
        made.roles = try await iam.roles(prefix: "\(name)-").filter { ["\(name)-execution", "\(name)-task"].contains($0) }
        listed += made.roles.map { "role/\($0)" }
        if try await LogsAPI(client: client).groupExists("/loom/\(name)") {
            made.logGroup = "/loom/\(name)"
            listed.append("log-group//loom/\(name)")
        }
        return (made, listed)
    }
}
