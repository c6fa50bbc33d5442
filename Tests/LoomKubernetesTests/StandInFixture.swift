import Foundation
import KubernetesStandIn
import Loom
import LoomTestSupport

/// A stand-in Kubernetes API server whose image `loom-test-worker` is the tests' worker
/// executable, with a kubeconfig for each of its users; shut down (every pod process and
/// namespace removed) after `body`, also when it throws. `LOOM_TEST_KUBE_LOGS=DIR` keeps the
/// pods' logs in DIR.
func withKubernetes<T>(users: [KubernetesStandIn.User] = [.init(name: "admin", token: UUID().uuidString)],
                       node: KubernetesStandIn.Node = .init(),
                       _ body: (KubernetesStandIn, KubernetesCredentials) async throws -> T) async throws -> T {
    // Twenty pods load the machine: memory-timing tests elsewhere wait their turn.
    try await withMachineToItself { try await withStandIn(users: users, node: node, body) }
}

private func withStandIn<T>(users: [KubernetesStandIn.User], node: KubernetesStandIn.Node,
                            _ body: (KubernetesStandIn, KubernetesCredentials) async throws -> T) async throws -> T {
    Dashboard.installAsDefault()
    let standIn = try await KubernetesStandIn.start(images: [workerImage: .init(entrypoint: [TestTasks.workerExecutable])], node: node, users: users, directory: ProcessInfo.processInfo.environment["LOOM_TEST_KUBE_LOGS"])
    do {
        let credentials = try KubernetesCredentials.kubeconfig(try standIn.writeKubeconfig())
        let result = try await body(standIn, credentials)
        await standIn.shutdown()
        return result
    } catch {
        await standIn.shutdown()
        throw error
    }
}

let workerImage = "registry.example/loom-test-worker:1"

/// The template the tests start workers from: one container, its resources set, as a user writes it.
func workerTemplate(image: String = workerImage, memoryRequest: String = "256Mi", memoryLimit: String = "1Gi") throws -> PodTemplate {
    try PodTemplate.yaml("""
        apiVersion: v1
        kind: Pod
        metadata:
          labels: {app: loom-tests}
        spec:
          containers:
          - name: worker
            image: \(image)
            resources:
              requests: {cpu: 100m, memory: \(memoryRequest)}
              limits: {cpu: "1", memory: \(memoryLimit)}
        """)
}

/// Runs the real kubectl against the stand-in.
func kubectl(_ standIn: KubernetesStandIn, _ arguments: [String], user: String? = nil) async throws -> (status: Int32, output: String, error: String) {
    let config = try standIn.writeKubeconfig(user: user)
    defer { try? FileManager.default.removeItem(atPath: config) }
    return try await runProcess("/usr/bin/kubectl", ["--kubeconfig", config] + arguments)
}

/// Why the Kubernetes tests cannot run here, or nil.
let kubernetesUnavailable: String? = TestNetwork.unavailableReason
    ?? (FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") ? nil : "kubectl is not installed")
