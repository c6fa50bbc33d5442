import ArgumentParser
import Foundation
import LoomCloud
import LoomCore

/// `loom cloud cleanup --cluster NAME [--yes]`: lists what a killed program's cloud cluster
/// left in the AWS account (credentials, region and endpoint as the AWS CLI takes them), and
/// removes it with `--yes`.
public struct CloudCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cloud", abstract: "Manage Loom clusters in a cloud account (AWS).", subcommands: [Cleanup.self])

    public init() {}

    struct Cleanup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List what a Loom cluster left in the AWS account (tasks, instances, task definitions, security group, secrets, role, log group, ECS cluster); remove it with --yes.")
        @Option(help: "The cluster's name (its resources' loom-cluster tag).") var cluster: String
        @Flag(help: "Remove what is listed (without it, only list).") var yes = false

        func run() async throws {
            let configuration = try AWSConfiguration.fromEnvironment()
            let found = yes
                ? try await AWSClusterResources.cleanup(name: cluster, configuration: configuration)
                : try await AWSClusterResources.leftovers(name: cluster, configuration: configuration)
            if found.isEmpty {
                print("nothing of cluster \(cluster) in \(configuration.region)")
            } else {
                print(found.map { (yes ? "removed " : "found ") + $0 }.joined(separator: "\n"))
                if !yes { print("run again with --yes to remove them") }
            }
        }
    }
}
