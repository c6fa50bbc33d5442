import Foundation
import Synchronization

/// The pod network of one stand-in, as a CNI bridge plugin makes it: a bridge (in a network
/// namespace of its own, so nothing of it shows on this machine's links), a network namespace
/// per pod with an `eth0` on the bridge and an address of a /24 picked at random in
/// 10.251.0.0/16, and one veth from this machine's root namespace into the bridge holding `.1`,
/// the node's address (cni0's), and the services' cluster IPs. Pods get no default route:
/// they reach the /24 and nothing else.
///
/// Every name starts with `lks-<pid in base 36>-<random>`, so a later stand-in removes what a
/// crashed one left (its pid is dead) and never touches anything else.
final class PodNetwork: Sendable {
    /// A pod's network namespace and address.
    struct Sandbox: Sendable {
        let namespace: String
        let address: String
        let port: String
    }

    static let prefix = "lks"
    let tag: String
    /// `10.251.X`: the /24's first three octets.
    let subnet: String
    let addresses: AddressPool
    private let bridgeNamespace: String
    private let sandboxCount = Mutex(0)

    var nodeAddress: String { "\(subnet).1" }
    /// The root namespace's end of the veth into the bridge (at most 14 characters).
    var rootDevice: String { tag }

    private init(tag: String, subnet: String) {
        self.tag = tag
        self.subnet = subnet
        bridgeNamespace = "\(tag)-br"
        addresses = AddressPool(subnet: subnet)
    }

    static func create() async throws -> PodNetwork {
        await removeStale()
        let pid = String(getpid(), radix: 36)
        let random = String((0..<4).map { _ in Array("abcdefghijklmnopqrstuvwxyz0123456789").randomElement()! })
        let network = PodNetwork(tag: "\(prefix)-\(pid)-\(random)", subnet: try await freeSubnet())
        do {
            try await network.setUp()
        } catch {
            await network.remove()
            throw error
        }
        return network
    }

    private func setUp() async throws {
        try await Command.ip(["netns", "add", bridgeNamespace])
        try await Command.ip(["-n", bridgeNamespace, "link", "add", "br0", "type", "bridge"])
        try await Command.ip(["-n", bridgeNamespace, "link", "set", "br0", "up"])
        try await Command.ip(["link", "add", rootDevice, "type", "veth", "peer", "name", "node", "netns", bridgeNamespace])
        try await Command.ip(["-n", bridgeNamespace, "link", "set", "node", "master", "br0", "up"])
        try await Command.ip(["addr", "add", "\(nodeAddress)/24", "dev", rootDevice])
        try await Command.ip(["link", "set", rootDevice, "up"])
    }

    /// A new pod's namespace, with `eth0` on the bridge and `lo` up.
    func addSandbox() async throws -> Sandbox {
        guard let address = addresses.allocatePodIP() else { throw StandInError("the pod network \(subnet).0/24 is full") }
        let index = sandboxCount.withLock { count in
            count += 1
            return count
        }
        let sandbox = Sandbox(namespace: "\(tag)-p\(index)", address: address, port: "p\(index)")
        do {
            try await Command.ip(["netns", "add", sandbox.namespace])
            // Both ends are made inside namespaces: nothing appears in this machine's own.
            try await Command.ip(["link", "add", "eth0", "netns", sandbox.namespace, "type", "veth", "peer", "name", sandbox.port, "netns", bridgeNamespace])
            try await Command.ip(["-n", bridgeNamespace, "link", "set", sandbox.port, "master", "br0", "up"])
            try await Command.ip(["-n", sandbox.namespace, "addr", "add", "\(address)/24", "dev", "eth0"])
            try await Command.ip(["-n", sandbox.namespace, "link", "set", "eth0", "up"])
            try await Command.ip(["-n", sandbox.namespace, "link", "set", "lo", "up"])
        } catch {
            await removeSandbox(sandbox)
            throw error
        }
        return sandbox
    }

    /// Kills whatever still runs in the pod's namespace, then removes it (and its veth).
    func removeSandbox(_ sandbox: Sandbox) async {
        await Self.removeNamespace(sandbox.namespace)
        addresses.release(sandbox.address)
    }

    func addServiceAddress(_ address: String) async throws {
        try await Command.ip(["addr", "add", "\(address)/32", "dev", rootDevice])
    }

    func removeServiceAddress(_ address: String) async {
        await Command.ipQuietly(["addr", "del", "\(address)/32", "dev", rootDevice])
    }

    /// Everything: the pods' namespaces left, the bridge's, the root veth and its addresses.
    func remove() async {
        if let listing = try? await Command.run(Command.ip, ["netns", "list"]) {
            for name in Self.namespaceNames(listing.output) where name.hasPrefix(tag + "-") { await Self.removeNamespace(name) }
        }
        await Command.ipQuietly(["link", "delete", rootDevice])
    }

    /// The processes in a namespace, children of the pod's containers included.
    static func pids(in namespace: String) async -> [Int32] {
        guard let listing = try? await Command.run(Command.ip, ["netns", "pids", namespace]) else { return [] }
        return listing.output.split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    private static func removeNamespace(_ namespace: String) async {
        for pid in await pids(in: namespace) { kill(pid, SIGKILL) }
        await Command.ipQuietly(["netns", "delete", namespace])
    }

    private static func namespaceNames(_ listing: String) -> [String] {
        listing.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// Whether a name is one of ours whose stand-in's process is gone.
    private static func isStale(_ name: String) -> Bool {
        let parts = name.split(separator: "-")
        guard parts.count >= 3, parts[0] == prefix, let pid = Int32(parts[1], radix: 36) else { return false }
        if kill(pid, 0) != 0 { return errno == ESRCH }
        // A zombie is dead too (killed, and not yet reaped).
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    /// Namespaces, root links and temporary directories of stand-ins whose process is dead.
    private static func removeStale() async {
        let temporary = FileManager.default.temporaryDirectory.path
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        where entry.split(separator: "-").count == 3 && isStale(entry) {
            try? FileManager.default.removeItem(atPath: "\(temporary)/\(entry)")
        }
        if let listing = try? await Command.run(Command.ip, ["netns", "list"]) {
            for name in namespaceNames(listing.output) where isStale(name) { await removeNamespace(name) }
        }
        if let links = try? await Command.run(Command.ip, ["-o", "link", "show"]) {
            for line in links.output.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count > 1 else { continue }
                let name = String(fields[1].split(separator: "@").first ?? "").trimmingCharacters(in: CharacterSet(charactersIn: ":"))
                if isStale(name) { await Command.ipQuietly(["link", "delete", name]) }
            }
        }
    }

    /// A /24 of 10.251.0.0/16 no address of this machine is in (another stand-in's).
    private static func freeSubnet() async throws -> String {
        let listing = try await Command.run(Command.ip, ["-o", "-4", "addr", "show"]).output
        for _ in 0..<50 {
            let subnet = "10.251.\(Int.random(in: 0...255))"
            if !listing.contains(" \(subnet).") { return subnet }
        }
        throw StandInError("no free /24 in 10.251.0.0/16 for the pod network")
    }
}

/// Addresses of the pod network's /24: pods from `.10`, services' cluster IPs from `.200`. As
/// CNI's host-local IPAM does, the next address after the last one given is handed out, so a
/// deleted pod's address is not at once another pod's.
final class AddressPool: Sendable {
    private struct State {
        var used: Set<Int> = []
        var last: [ClosedRange<Int>: Int] = [:]
    }

    private let subnet: String
    private let state = Mutex(State())

    init(subnet: String) { self.subnet = subnet }

    func allocatePodIP() -> String? { allocate(in: 10...199) }
    func allocateClusterIP() -> String? { allocate(in: 200...254) }

    func release(_ address: String) {
        guard let host = address.split(separator: ".").last.flatMap({ Int($0) }) else { return }
        _ = state.withLock { $0.used.remove(host) }
    }

    private func allocate(in range: ClosedRange<Int>) -> String? {
        state.withLock { state in
            let next = (state.last[range] ?? range.lowerBound - 1) + 1
            let start = next > range.upperBound ? range.lowerBound : next
            let order = Array(start...range.upperBound) + (start > range.lowerBound ? Array(range.lowerBound..<start) : [])
            guard let host = order.first(where: { !state.used.contains($0) }) else { return nil }
            state.used.insert(host)
            state.last[range] = host
            return "\(subnet).\(host)"
        }
    }
}
