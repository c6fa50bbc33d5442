import LoomCore
import NIOCore
import NIOPosix

/// This machine's addresses as other hosts see them.
public enum NetworkInterface {
    /// The IPv4 address of the interface named `name` (`eth0`, `ib0`); the error lists the
    /// interfaces there are.
    public static func ipv4Address(of name: String) throws -> String {
        let devices = (try? System.enumerateDevices()) ?? []
        for device in devices where device.name == name {
            if let address = device.address, case .v4 = address, let ip = address.ipAddress { return ip }
        }
        let known = Set(devices.map(\.name)).sorted().joined(separator: ", ")
        throw LoomError(.configuration, "no network interface '\(name)' with an IPv4 address (interfaces: \(known))")
    }

    /// The address this host's traffic to `host` leaves from (Dask's rule for a worker: the
    /// source address of a connection towards its scheduler); `nil` when no route leads there.
    ///
    /// A connected UDP socket only asks the kernel for a route: no packet is sent.
    public static func sourceAddress(towards host: String, port: Int) async -> String? {
        guard let channel = try? await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port).get()
        else { return nil }
        defer { channel.close(promise: nil) }
        return channel.localAddress?.ipAddress
    }

    /// The address other hosts reach this one at: the source address towards the default
    /// route or, on an isolated cluster network without one, the first non-loopback
    /// interface's; 127.0.0.1 on a machine with no network at all.
    public static func outwardAddress() async -> String {
        // TEST-NET-1 (RFC 5737) is never routed anywhere: only the route towards it is looked up.
        if let routed = await sourceAddress(towards: "192.0.2.1", port: 9) { return routed }
        let devices = (try? System.enumerateDevices()) ?? []
        for device in devices {
            if let address = device.address, case .v4 = address, let ip = address.ipAddress, !isLoopback(ip) { return ip }
        }
        return "127.0.0.1"
    }

    /// The address to tell others for a server bound to `host`: the outward address when it
    /// listens on every interface, as nobody can contact 0.0.0.0.
    public static func contactHost(forListening host: String) async -> String {
        isWildcard(host) ? await outwardAddress() : host
    }

    public static func isWildcard(_ host: String) -> Bool { ["0.0.0.0", "::", ""].contains(host) }

    public static func isLoopback(_ host: String) -> Bool {
        host.hasPrefix("127.") || host == "::1" || host == "localhost" || host.hasPrefix("::ffff:127.")
    }
}
