import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// kube-proxy for ClusterIP services: each service's cluster IP is an address of the root
/// namespace's veth into the pod network, with a TCP forwarder on it for each port that
/// hands every connection to a ready endpoint (a Running, Ready pod of the namespace matching
/// the selector, at the target port, a number or a named container port). A connection with
/// no endpoint is closed at once, as a REJECT rule refuses it.
final class ServiceProxy: Sendable {
    private let store: ObjectStore
    private let network: PodNetwork
    private let listeners = Mutex<[String: [any Channel]]>([:])

    init(store: ObjectStore, network: PodNetwork) {
        self.store = store
        self.network = network
    }

    func run(events: AsyncStream<WatchItem>) async {
        for await item in events {
            guard case .event(let event) = item, event.resource == "services" else { continue }
            switch event.kind {
            case .added: await open(event.object)
            case .deleted: await close(event.object)
            case .modified: continue
            }
        }
    }

    /// Closes every forwarder (the stand-in's shutdown).
    func closeAll() async {
        let all = listeners.withLock { listeners in
            defer { listeners.removeAll() }
            return listeners.values.flatMap { $0 }
        }
        for channel in all { try? await channel.close() }
    }

    /// A TCP forwarder on `host:port` to what `endpoint` names for each connection.
    static func listen(host: String, port: Int, endpoint: @escaping @Sendable () -> (host: String, port: Int)?) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { inbound in
                guard let target = endpoint() else { return inbound.eventLoop.makeFailedFuture(StandInError("no endpoints")) }
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(.allowRemoteHalfClosure, value: true)
                    .connectTimeout(.seconds(5))
                    .connect(host: target.host, port: target.port)
                    .flatMapThrowing { outbound in
                        let (inboundGlue, outboundGlue) = GlueHandler.matchedPair()
                        try inbound.pipeline.syncOperations.addHandler(inboundGlue)
                        try outbound.pipeline.syncOperations.addHandler(outboundGlue)
                    }
            }
            .bind(host: host, port: port).get()
    }

    private func open(_ service: JSON) async {
        guard let uid = service["metadata"]["uid"].string, let ip = service["spec"]["clusterIP"].string, ip != "None" else { return }
        do {
            try await network.addServiceAddress(ip)
        } catch {
            FileHandle.standardError.write(Data("kube-standin: service \(service["metadata"]["name"].string ?? ""): \(error)\n".utf8))
            return
        }
        var channels: [any Channel] = []
        for port in service["spec"]["ports"].array ?? [] where (port["protocol"].string ?? "TCP") == "TCP" {
            guard let number = port["port"].int else { continue }
            let resolve: @Sendable () -> (host: String, port: Int)? = { [store] in Self.endpoint(for: service, port: port, in: store) }
            if let channel = try? await Self.listen(host: ip, port: Int(number), endpoint: resolve) { channels.append(channel) }
        }
        let stale = listeners.withLock { listeners in
            defer { listeners[uid] = channels }
            return listeners[uid] ?? []
        }
        for channel in stale { try? await channel.close() }
    }

    private func close(_ service: JSON) async {
        guard let uid = service["metadata"]["uid"].string else { return }
        let channels = listeners.withLock { $0.removeValue(forKey: uid) } ?? []
        for channel in channels { try? await channel.close() }
        if let ip = service["spec"]["clusterIP"].string, ip != "None" {
            await network.removeServiceAddress(ip)
            network.addresses.release(ip)
        }
    }

    /// A ready endpoint of the service for `port`, picked at random (kube-proxy's iptables mode).
    static func endpoint(for service: JSON, port: JSON, in store: ObjectStore) -> (host: String, port: Int)? {
        let selector = service["spec"]["selector"].stringMap
        guard !selector.isEmpty else { return nil }
        let matching = LabelSelector(matching: selector)
        let namespace = service["metadata"]["namespace"].string
        let target = port["targetPort"].isNull ? port["port"] : port["targetPort"]
        var candidates: [(String, Int)] = []
        for pod in store.list("pods", namespace: namespace).items {
            guard matching.matches(pod["metadata"]["labels"].stringMap), pod["metadata"]["deletionTimestamp"].isNull,
                  pod["status"]["phase"].string == "Running", let ip = pod["status"]["podIP"].string,
                  (pod["status"]["conditions"].array ?? []).contains(where: { $0["type"].string == "Ready" && $0["status"].string == "True" })
            else { continue }
            if case .string(let name) = target, Int(name) == nil {
                let ports = (pod["spec"]["containers"].array ?? []).flatMap { $0["ports"].array ?? [] }
                if let number = ports.first(where: { $0["name"].string == name })?["containerPort"].int { candidates.append((ip, Int(number))) }
            } else if let number = target.int {
                candidates.append((ip, Int(number)))
            }
        }
        return candidates.randomElement()
    }
}

/// Joins two channels: what one reads the other writes, with backpressure (a side reads only
/// while its partner can write) and half-closure passed on. After NIO's connect-proxy example.
final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler(), second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.context?.write(data, promise: nil) }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }

    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event { partner?.context?.close(mode: .output, promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { partner?.context?.close(promise: nil) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let partner, partner.pendingRead {
            partner.pendingRead = false
            partner.context?.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
