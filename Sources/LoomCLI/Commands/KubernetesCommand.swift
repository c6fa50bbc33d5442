import ArgumentParser
import Foundation
import LoomCore
import LoomKubernetes

/// `loom kubernetes cleanup --cluster NAME`: removes what a crashed program's `KubeCluster`
/// left (its pods, Service and Secret, found by the `loom.dev/cluster-name` label).
public struct KubernetesCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kubernetes", abstract: "Manage Loom clusters on Kubernetes.", subcommands: [Cleanup.self, List.self])

    public init() {}

    struct Connection: ParsableArguments {
        @Option(help: "The kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the pod's service account).") var kubeconfig: String?
        @Option(help: "The kubeconfig context (default: its current one).") var context: String?
        @Option(help: "The namespace (default: the context's).") var namespace: String?

        func api() throws -> KubernetesAPI {
            var credentials = try kubeconfig.map { try KubernetesCredentials.kubeconfig($0, context: context) }
                ?? KubernetesCredentials.automatic(context: context)
            if let namespace { credentials.namespace = namespace }
            return try KubernetesAPI(credentials: credentials)
        }
    }

    struct Cleanup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every pod, Service and Secret of a Loom cluster.")
        @Option(help: "The cluster's name (its pods' loom.dev/cluster-name label; `loom kubernetes list` shows them).") var cluster: String
        @OptionGroup var connection: Connection

        func run() async throws {
            let api = try connection.api()
            let deleted: [String]
            do {
                deleted = try await KubeCluster.cleanup(cluster: cluster, api: api)
                await api.shutdown()
            } catch {
                await api.shutdown()
                throw error
            }
            print(deleted.isEmpty ? "nothing of cluster \(cluster) in namespace \(api.namespace)" : deleted.map { "deleted \($0)" }.joined(separator: "\n"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the Loom clusters in a namespace and their pods.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let api = try connection.api()
            let clusters: [String: [PodState]]
            do {
                clusters = try await KubeCluster.list(api: api)
                await api.shutdown()
            } catch {
                await api.shutdown()
                throw error
            }
            if clusters.isEmpty { print("no Loom clusters in namespace \(api.namespace)") }
            for (name, pods) in clusters.sorted(by: { $0.key < $1.key }) {
                print("\(name): \(pods.count) pod\(pods.count == 1 ? "" : "s")")
                for pod in pods { print("  \(pod)") }
            }
        }
    }
}
