import Foundation
import Hummingbird
import HummingbirdTLS
import NIOCore
import Synchronization

/// A Kubernetes API server and one node of its own, for tests: the REST subset a pod client
/// uses (discovery, pods and their logs, services, secrets, watches, Status errors, bearer
/// tokens and RBAC, server-side Tables for kubectl) over HTTPS, and a kubelet that runs each
/// pod's containers as local processes in a network namespace of the pod's own, with an
/// address on a pod network this machine reaches at `nodeAddress`. It knows nothing of any
/// client: the real `kubectl` works against it.
///
/// Needs root (network namespaces). `shutdown()` kills every pod and removes every namespace,
/// link, address and file it made; a stand-in whose process died is cleaned up by the next.
public final class KubernetesStandIn: Sendable {
    /// `https://127.0.0.1:PORT`.
    public let url: String
    /// The CA that signed the server's certificate (for 127.0.0.1, localhost and `nodeAddress`).
    public let caPEM: String
    /// The node's address on the pod network (`.1` of its /24); pods reach it, and the API
    /// server on it at the same port (`KUBERNETES_SERVICE_HOST`/`PORT` in every container).
    public let nodeAddress: String
    /// Where logs (`logs/NAMESPACE_POD_UID/CONTAINER/RESTART.log`) and volumes are written.
    public let directory: String
    public let users: [User]

    let store: ObjectStore
    private let context: KubeletContext
    private let network: PodNetwork
    private let proxy: ServiceProxy
    private let apiForwarder: any Channel
    private let ownsDirectory: Bool
    private let running: Mutex<Task<Void, Never>?>

    /// Starts the API server on 127.0.0.1 at a port of the system's choosing, the pod network,
    /// the scheduler, kubelet, kube-proxy and garbage collector. `images` are what an `image:`
    /// runs; `directory` keeps logs after shutdown (by default a temporary one, removed then).
    public static func start(images: [String: Image], node: Node = .init(),
                             users: [User] = [.init(name: "admin", token: UUID().uuidString)],
                             directory: String? = nil) async throws -> KubernetesStandIn {
        guard getuid() == 0 else { throw StandInError("the Kubernetes stand-in needs root: each pod gets a network namespace") }
        let network = try await PodNetwork.create()
        let folder = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent(network.tag).path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return try await start(network: network, images: images, node: node, users: users, folder: folder, ownsFolder: directory == nil)
        } catch {
            await network.remove()
            if directory == nil { try? FileManager.default.removeItem(atPath: folder) }
            throw error
        }
    }

    private static func start(network: PodNetwork, images: [String: Image], node: Node, users: [User],
                              folder: String, ownsFolder: Bool) async throws -> KubernetesStandIn {
        let certificates = try StandInCertificates(ipAddresses: ["127.0.0.1", network.nodeAddress])
        let store = ObjectStore()
        let port = ListeningPort()
        let context = KubeletContext(store: store, network: network, node: node, images: images, directory: folder, port: port,
                                     mountPoints: MountPoints())
        let registry = Registry(store: store, addresses: network.addresses)
        let server = StandInServer(store: store, registry: registry, rbac: RBAC(users: users), logs: PodLogs(context: context),
                                   port: port)
        let (ports, bound) = AsyncStream<Int>.makeStream()
        var application = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in await server.respond(to: request) },
            server: try .tls(.http1(), tlsConfiguration: try certificates.tlsConfiguration()),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                bound.yield(channel.localAddress?.port ?? 0)
                bound.finish()
            })
        application.logger.logLevel = .critical  // cancellation at shutdown is logged as an error
        let app = application
        // The controllers subscribe now, so no object created once `start` returns is missed.
        let kubeletEvents = try store.subscribe(from: store.resourceVersion, external: false)
        let collectorEvents = try store.subscribe(from: store.resourceVersion, external: false)
        let proxyEvents = try store.subscribe(from: store.resourceVersion, external: false)
        let proxy = ServiceProxy(store: store, network: network)
        let task = Task {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    try? await app.run()
                    bound.finish()  // a server that never listened ends `start`'s wait
                }
                group.addTask { await Kubelet(context: context).run(events: kubeletEvents) }
                group.addTask { await GarbageCollector(registry: registry).run(events: collectorEvents) }
                group.addTask { await proxy.run(events: proxyEvents) }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(10))
                        store.bookmark()
                    }
                }
            }
        }
        var chosen = 0
        for await value in ports { chosen = value }
        guard chosen > 0 else {
            task.cancel()
            await task.value
            throw StandInError("the API server did not start")
        }
        port.set(chosen)
        let apiPort = chosen
        // The API server at the node address too, for pods (the `kubernetes` service's job).
        let forwarder: any Channel
        do {
            forwarder = try await ServiceProxy.listen(host: network.nodeAddress, port: apiPort) { ("127.0.0.1", apiPort) }
        } catch {
            task.cancel()
            await task.value
            throw error
        }
        return KubernetesStandIn(
            url: "https://127.0.0.1:\(chosen)", caPEM: certificates.caPEM, users: users, store: store, context: context, proxy: proxy,
            forwarder: forwarder, ownsDirectory: ownsFolder, task: task)
    }

    private init(url: String, caPEM: String, users: [User], store: ObjectStore, context: KubeletContext, proxy: ServiceProxy,
                 forwarder: any Channel, ownsDirectory: Bool, task: Task<Void, Never>) {
        self.url = url
        self.caPEM = caPEM
        self.users = users
        self.store = store
        self.context = context
        network = context.network
        nodeAddress = context.network.nodeAddress
        directory = context.directory
        self.proxy = proxy
        apiForwarder = forwarder
        self.ownsDirectory = ownsDirectory
        running = Mutex(task)
    }

    /// Kills every pod's processes and removes their namespaces, the bridge, the node's veth
    /// and its addresses, the volumes, and the directory when the stand-in made it. Idempotent.
    public func shutdown() async {
        guard let task = running.withLock({ $0.take() }) else { return }
        task.cancel()
        await task.value
        store.finishAll()
        await proxy.closeAll()
        try? await apiForwarder.close()
        await network.remove()
        context.mountPoints.removeAll()
        try? FileManager.default.removeItem(atPath: "\(directory)/volumes")
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Ends every open watch, as an API server restart or a watch timeout does.
    public func expireWatches() { store.expireWatches() }

    /// Forgets the event history, as etcd compaction does: a watch from an older
    /// resourceVersion gets an ERROR event with a 410 Expired Status.
    public func compact() { store.compact() }

    /// The suffixes the next `generateName` creates use, in order (to provoke a 409 collision).
    public func setNextGeneratedNames(_ names: [String]) { store.setNextGeneratedNames(names) }

    /// The log file of a container's current run (or of run `restart`), nil when the pod is unknown.
    public func logPath(pod: String, namespace: String = "default", container: String? = nil, restart: Int? = nil) -> String? {
        guard let object = store.get(ObjectKey(resource: "pods", namespace: namespace, name: pod)),
              let name = container ?? object["spec"]["containers"].array?.first?["name"].string
        else { return nil }
        let status = (object["status"]["containerStatuses"].array ?? []).first { $0["name"].string == name }
        return context.logPath(namespace: namespace, pod: pod, uid: object["metadata"]["uid"].string ?? "", container: name,
                               restart: restart ?? Int(status?["restartCount"].int ?? 0))
    }
}

/// The API server's port, known once it listens (discovery and pods' environment need it).
final class ListeningPort: Sendable {
    private let port = Mutex(0)
    var value: Int { port.withLock { $0 } }
    func set(_ value: Int) { port.withLock { $0 = value } }
}
