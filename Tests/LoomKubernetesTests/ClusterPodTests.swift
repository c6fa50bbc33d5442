import Foundation
import LoomCore
import Testing
@testable import LoomKubernetes

/// What Loom fills into the user's pod template, and the template errors it names.
struct ClusterPodTests {
    let worker = ClusterPod(role: .worker, cluster: "loom-test", user: "ada", schedulerAddress: "tcp://10.0.0.1:8786")

    func container(_ pod: KubernetesJSON) -> KubernetesJSON { pod["spec"]!["containers"]![0]! }

    @Test func fillsInWhatLoomOwnsAndKeepsTheRest() throws {
        let template = try PodTemplate.yaml("""
            kind: Pod
            metadata:
              labels: {team: data}
              annotations: {note: kept}
            spec:
              nodeSelector: {pool: workers}
              restartPolicy: Always
              containers:
              - name: worker
                image: registry.example/app:1.2
                env:
                - {name: MODE, value: "1"}
                - {name: LOOM_SCHEDULER_ADDRESS, value: stale}
                resources:
                  requests: {cpu: "2", memory: 4Gi}
                  limits: {cpu: "2", memory: 4Gi}
            """)
        let (pod, resources) = try worker.make(from: template)
        #expect(resources == WorkerResources(threads: 2, memoryLimit: 4 << 30))
        #expect(pod["spec"]!["restartPolicy"] == "Never")
        #expect(pod["spec"]!["nodeSelector"]!["pool"] == "workers", "the template's fields stay")
        #expect(pod["metadata"]!["annotations"]!["note"] == "kept")
        #expect(pod["metadata"]!["generateName"] == "loom-test-worker-")
        let labels = try #require(pod["metadata"]!["labels"])
        #expect(labels == ["team": "data", "loom.dev/cluster-name": "loom-test", "loom.dev/component": "worker", "loom.dev/user": "ada"])
        let container = container(pod)
        #expect(container["args"]!.array!.compactMap(\.string) == [
            "worker", "$(LOOM_SCHEDULER_ADDRESS)", "--name", "$(LOOM_POD_NAME)", "--nthreads", "2", "--memory-limit", "\(4 << 30)",
            "--death-timeout", "60",
        ])
        let environment = container["env"]!.array!
        #expect(environment.contains(["name": "MODE", "value": "1"]), "a quoted value stays text")
        #expect(environment.filter { $0["name"] == "LOOM_SCHEDULER_ADDRESS" } == [["name": "LOOM_SCHEDULER_ADDRESS", "value": "tcp://10.0.0.1:8786"]])
        #expect(environment.contains(["name": "LOOM_POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]]))
        #expect(container["resources"]!["limits"]!["memory"] == "4Gi", "the template's resources stay as written")
    }

    @Test func resourcesFollowTheWorkerSettingsWhenTheTemplateHasNone() throws {
        var pod = worker
        pod.threads = 3
        pod.memory = 2_000_000_000
        let (made, resources) = try pod.make(from: .image("app:1"))
        #expect(resources == WorkerResources(threads: 3, memoryLimit: 2_000_000_000))
        #expect(container(made)["resources"] == [
            "requests": ["cpu": "3", "memory": "2000000000"], "limits": ["cpu": "3", "memory": "2000000000"],
        ])
        #expect(container(made)["args"]!.array!.contains("--nthreads"))
    }

    @Test func fractionalCPUsGiveOneThreadAndLimitsWinOverRequests() throws {
        let template = try PodTemplate.yaml("""
            containers:
            - name: w
              image: app
              resources: {requests: {cpu: 500m, memory: 1G}, limits: {memory: 1500M}}
            """)
        #expect(try worker.make(from: template).resources == WorkerResources(threads: 1, memoryLimit: 1_500_000_000))
    }

    @Test func settingsThatContradictTheTemplateAreAnErrorNamingTheField() throws {
        var pod = worker
        pod.threads = 4
        let template = try PodTemplate.yaml("containers: [{name: w, image: app, resources: {limits: {cpu: 2}}}]")
        let error = try #require(throws: LoomError.self) { try pod.make(from: template) }
        #expect(error.message.contains("spec.containers[0].resources.limits.cpu is 2"), "\(error)")
        let bad = try PodTemplate.yaml("containers: [{name: w, image: app, resources: {limits: {memory: lots}}}]")
        #expect(throws: LoomError.self) { try worker.make(from: bad) }
    }

    @Test func templatesWithoutAClearContainerAreErrorsNamingTheField() throws {
        let none = try #require(throws: LoomError.self) { try worker.make(from: PodTemplate.yaml("spec: {containers: []}")) }
        #expect(none.message.hasPrefix("spec.containers: the pod template has no container"))
        let two = try PodTemplate.yaml("containers: [{name: app, image: a}, {name: proxy, image: p}]")
        let unmarked = try #require(throws: LoomError.self) { try worker.make(from: two) }
        #expect(unmarked.message.contains("spec.containers has 2 containers (app, proxy) and none is marked"), "\(unmarked)")
        #expect(unmarked.message.contains("kubectl.kubernetes.io/default-container"))
        let marked = try PodTemplate.yaml("""
            metadata: {annotations: {kubectl.kubernetes.io/default-container: proxy}}
            spec: {containers: [{name: app, image: a}, {name: proxy, image: p}]}
            """)
        let (pod, _) = try worker.make(from: marked)
        #expect(pod["spec"]!["containers"]![1]!["args"] != nil && pod["spec"]!["containers"]![0]!["args"] == nil)
        let wrong = try PodTemplate.yaml("""
            metadata: {annotations: {kubectl.kubernetes.io/default-container: nope}}
            spec: {containers: [{name: app, image: a}, {name: proxy, image: p}]}
            """)
        #expect(throws: LoomError.self) { try worker.make(from: wrong) }
        let deployment = try #require(throws: LoomError.self) { try PodTemplate.yaml("kind: Deployment\nspec: {}") }
        #expect(deployment.message.contains("kind is Deployment"))
        #expect(throws: LoomError.self) { try PodTemplate.yamlFile("/nonexistent/worker-spec.yaml") }
    }

    @Test func theTemplatesOwnArgsAreExtraWorkerOptionsAndTheSchedulerGetsItsPorts() throws {
        let template = try PodTemplate.yaml("containers: [{name: w, image: app, args: [--resources, GPU=1]}]")
        #expect(container(try worker.make(from: template).pod)["args"]!.array!.suffix(2) == ["--resources", "GPU=1"])
        var scheduler = ClusterPod(role: .scheduler, cluster: "loom-test", user: "ada")
        scheduler.owner = nil
        let made = try scheduler.make(from: template).pod
        #expect(container(made)["args"]!.array!.compactMap(\.string) == ["scheduler", "--port", "8786", "--dashboard-address", ":8787"])
        #expect(container(made)["ports"]!.array!.compactMap { $0["containerPort"]?.int } == [8786, 8787])
        #expect(made["metadata"]!["labels"]!["loom.dev/component"] == "scheduler")
        #expect(container(made)["resources"] == nil, "the scheduler keeps the template's resources")
    }

    @Test func aDaskWorkerCommandInTheTemplateIsRefused() throws {
        let template = try PodTemplate.yaml("containers: [{name: w, image: app, args: [dask-worker, --nthreads, '2']}]")
        let error = try #require(throws: LoomError.self) { try worker.make(from: template) }
        #expect(error.message.hasPrefix("spec.containers[0].args begins with dask-worker"), "\(error)")
    }

    @Test func quantities() {
        #expect(Quantity.value("500m") == 0.5)
        #expect(Quantity.value("4Gi") == Double(4 << 30))
        #expect(Quantity.value("1G") == 1e9)
        #expect(Quantity.value("1e9") == 1e9)
        #expect(Quantity.value(.int(3)) == 3)
        #expect(Quantity.value("lots") == nil)
    }

    @Test func labelValuesAreMadeValid() {
        #expect(ClusterLabels.value("ada@example.com") == "ada-example.com")
        #expect(ClusterLabels.value("_x_") == "x")
        #expect(ClusterLabels.value(String(repeating: "a", count: 80)).count == 63)
    }
}
