import Foundation
import LoomCore
import LoomDistributed
import Logging
import Synchronization

/// Workers as Kubernetes pods made from a template (dask-kubernetes' `KubeCluster`).
///
/// ```swift
/// let cluster = try await KubeCluster.fromYAML("worker-spec.yaml")
/// try await cluster.scale(20)                 // 20 worker pods
/// let client = try await Client(cluster)
/// cluster.adapt(minimum: 0, maximum: 50)      // pods follow the work
/// ```
/// The template's container runs this program's image: its `main` calls `Loom.bootstrap`, so
/// `worker …` (and `scheduler …` in remote mode) turn it into what the pod should be. Each
/// worker's name is its pod's; retiring workers deletes exactly their pods, pending ones first.
/// The cluster watches its pods: a pod that cannot start (unschedulable, image not pulled,
/// crashing) is the error of `scale`, and one deleted behind its back is replaced. `close()`
/// deletes every pod, Service and Secret it made; if this process dies instead, the workers end
/// themselves after their death timeout and `loom kubernetes cleanup --cluster NAME` removes
/// the rest.
public final class KubeCluster: Cluster {
    public let base: SpecCluster
    public let name: String
    public let namespace: String
    public let api: KubernetesAPI
    public let deploy: KubeClusterOptions.Deploy
    /// Remote mode: the scheduler's pod, and the client through which the cluster scales it.
    public let schedulerPod: String?
    private let schedulerClient: Client?
    private let watcher: PodWatcher
    /// The pod watch and the replacing of ended pods: they outlast `base` while `close()`
    /// deletes what the cluster made.
    private let tasks = ClusterTasks()
    private let maintenance = Mutex<ClusterTask?>(nil)
    private let logger = Logger.loom("loom.kubernetes")

    /// Reads the pod template from a YAML file (a Pod, or a pod spec).
    public static func fromYAML(_ path: String, options: KubeClusterOptions = KubeClusterOptions(),
                                credentials: KubernetesCredentials? = nil) async throws -> KubeCluster {
        try await KubeCluster(podTemplate: .yamlFile(path), options: options, credentials: credentials)
    }

    /// Starts the scheduler (here, or in a pod for `.remote`); no workers yet (`scale`, `adapt`).
    /// - Parameter credentials: by default as kubectl finds them (`KubernetesCredentials.automatic()`).
    public init(podTemplate template: PodTemplate, options: KubeClusterOptions = KubeClusterOptions(),
                credentials: KubernetesCredentials? = nil) async throws {
        let name = options.name ?? "loom-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        try Self.validate(name: name)
        let credentials = try credentials ?? KubernetesCredentials.automatic()
        let security = try options.security ?? Security.configured(try Configuration.current)
        let namespace = options.namespace ?? credentials.namespace
        let user = ClusterLabels.value(ProcessInfo.processInfo.environment["USER"] ?? NSUserName())
        var worker = ClusterPod(role: .worker, cluster: name, user: user, threads: options.threads, memory: try options.memoryBytes(),
                                deathTimeout: options.deathTimeout)
        _ = try worker.make(from: template)  // a bad template fails here, before anything is made
        let api = try KubernetesAPI(credentials: credentials)
        do {
            // Another cluster of the name would share (and on close delete) these pods.
            if let other = try await api.list(.pods, labelSelector: ClusterLabels.selector(cluster: name), namespace: namespace).items.first {
                throw LoomError(.configuration, "a Loom cluster named \(name) already exists in namespace \(namespace) (pod \(other.at("metadata.name")?.string ?? "?")): choose another name, or remove it with `loom kubernetes cleanup --cluster \(name)`")
            }
        } catch {
            await api.shutdown()
            throw error
        }
        self.name = name
        self.namespace = namespace
        self.api = api
        deploy = options.deploy
        let watcher = PodWatcher(api: api, selector: ClusterLabels.selector(cluster: name), namespace: namespace)
        self.watcher = watcher
        watcher.start(in: tasks)
        let resources = ClusterResources(api: api, cluster: name, namespace: namespace, user: user)
        do {
            if let security {
                let secret = try await resources.createTLSSecret(security)
                worker.tls = try secret.mount(for: .worker)
            }
            switch options.deploy {
            case .local:
                schedulerPod = nil
                schedulerClient = nil
                base = try await SpecCluster(
                    name: name, launcher: PodLauncher(api: api, namespace: namespace, template: template, pod: worker, watcher: watcher, troublePatience: options.troublePatience),
                    scheduler: SchedulerOptions(host: options.schedulerHost, port: options.schedulerPort, scheduling: .configured(try Configuration.current),
                                                dashboardAddress: options.dashboardAddress, security: security),
                    plugins: options.plugins + [KubernetesPlugin(watcher: watcher, namespace: namespace)], startTimeout: options.startTimeout)
            case .remote:
                let remote = try await RemoteSchedulerPod.start(
                    template: options.schedulerTemplate ?? template, resources: resources, watcher: watcher, security: security,
                    tls: security != nil ? try ClusterResources.TLSSecret(name: resources.tlsSecretName).mount(for: .scheduler) : nil,
                    timeout: options.startTimeout)
                schedulerPod = remote.pod
                schedulerClient = remote.client
                worker.owner = remote.ownerReference
                worker.schedulerAddress = remote.address.description
                base = SpecCluster(
                    name: name, launcher: PodLauncher(api: api, namespace: namespace, template: template, pod: worker, watcher: watcher, troublePatience: options.troublePatience),
                    running: RemoteScheduler(client: remote.client), at: remote.address, startTimeout: options.startTimeout)
            }
        } catch {
            await resources.deleteAll()
            await tasks.close()
            await api.shutdown()
            throw error
        }
        startMaintenance()
    }

    /// The cluster's pods as last seen (workers, and the scheduler's in remote mode), with why
    /// any cannot run.
    public var pods: [PodState] { watcher.pods }

    /// A pod's log (its main container's), as `kubectl logs` prints it.
    public func logs(pod: String, tailLines: Int? = nil) async throws -> String {
        try await api.log(pod: pod, tailLines: tailLines, namespace: namespace)
    }

    /// Replaces pods deleted behind the cluster's back (a lost node, a spot eviction,
    /// `kubectl delete pod`) while it is scaled to a number; adapting replaces what the work needs.
    private func startMaintenance() {
        let task = tasks.start { [weak self] in
            var failedInARow = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let self, !Task.isCancelled else { return }
                // While adapting, adaptive scaling replaces what the work needs.
                guard self.base.adaptiveOptions == nil else { continue }
                let ended = self.base.launched.compactMap { $0 as? LaunchedPod }.filter(\.hasEnded)
                guard !ended.isEmpty else { continue }
                // Workers that keep failing (a crashing image) are replaced ever more slowly.
                let failed = ended.filter { self.watcher.pod($0.name)?.hasEnded == true }
                if !failed.isEmpty {
                    failedInARow += 1
                    try? await Task.sleep(for: .seconds(min(60, 1 << min(failedInARow, 6))))
                    guard !Task.isCancelled else { return }
                } else {
                    failedInARow = 0
                }
                self.logger.info("replacing ended worker pods", metadata: ["pods": "\(ended.map(\.name))"])
                do { try await self.base.restore() } catch { self.logger.error("cannot replace worker pods: \(error)") }
            }
        }
        maintenance.withLock { $0 = task }
    }

    /// Stops adapting and every worker, then deletes every pod, Service and Secret of the
    /// cluster (by its label) and waits until its pods are gone.
    public func close() async {
        let task = maintenance.withLock { current in
            defer { current = nil }
            return current
        }
        await task?.stop()
        await base.close()
        await schedulerClient?.close()
        let resources = ClusterResources(api: api, cluster: name, namespace: namespace, user: "")
        await resources.deleteAll()
        do {
            try await watcher.wait(for: "the deletion of cluster \(name)'s pods", timeout: .seconds(90)) { $0.synced && $0.pods.isEmpty }
        } catch {
            logger.warning("\(error)")
        }
        await tasks.close()
        await api.shutdown()
    }

    /// Names become pod names with `-worker-xxxxx` after them: DNS labels of at most 63.
    static func validate(name: String) throws {
        let allowed = name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
        guard allowed, let first = name.first, first.isLetter, name.last != "-", name.count <= 40 else {
            throw LoomError(.configuration, "the cluster name \(name) is not usable in pod names: give lowercase letters, digits and '-', starting with a letter, at most 40 characters")
        }
    }

    deinit {
        // Dropped without close(): its tasks' deinit ends the watch; the pods stay until their
        // death timeout.
        api.shutdownDetached()
    }
}

extension KubeCluster {
    /// Deletes every pod, Service and Secret labelled as cluster `name`'s in the API's
    /// namespace (what a crashed program left); the objects deleted, as `pods/NAME`.
    public static func cleanup(cluster name: String, api: KubernetesAPI) async throws -> [String] {
        // Listing first makes a missing permission an error rather than a log line.
        _ = try await api.list(.pods, labelSelector: ClusterLabels.selector(cluster: name))
        let (deleted, failures) = await ClusterResources(api: api, cluster: name, namespace: api.namespace, user: "").deleteAll()
        guard failures.isEmpty else {
            throw LoomError(.configuration, "deleted \(deleted.count) objects of cluster \(name) but not all: \(failures.joined(separator: "; "))")
        }
        return deleted
    }

    /// The Loom clusters with pods in the API's namespace, by name.
    public static func list(api: KubernetesAPI) async throws -> [String: [PodState]] {
        let pods = try await api.list(.pods, labelSelector: ClusterLabels.clusterName).items
        return Dictionary(grouping: pods) { $0.at("metadata.labels")?[ClusterLabels.clusterName]?.string ?? "?" }.mapValues { $0.map(PodState.init) }
    }
}
