/// Where a scheduler or worker listens: `tcp://host:port`, or `tls://host:port` for a
/// connection encrypted and authenticated with TLS (see `Security`).
public struct Address: Hashable, Sendable, CustomStringConvertible {
    public enum Scheme: String, Sendable, CaseIterable {
        case tcp, tls
    }

    public var scheme: Scheme
    public var host: String
    public var port: Int

    public init(host: String, port: Int, scheme: Scheme = .tcp) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses `tcp://host:port`, `tls://host:port`, `host:port` (TCP), or `tcp://[v6]:port`.
    public init(parsing text: String) throws {
        var rest = Substring(text)
        var scheme = Scheme.tcp
        if let separator = rest.range(of: "://") {
            guard let named = Scheme(rawValue: String(rest[..<separator.lowerBound]).lowercased()) else {
                throw TransportError("'\(text)' has an unknown scheme; expected tcp://HOST:PORT or tls://HOST:PORT")
            }
            scheme = named
            rest = rest[separator.upperBound...]
        }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else {
            throw TransportError("'\(text)' is not an address; expected tcp://HOST:PORT or tls://HOST:PORT")
        }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw TransportError("'\(text)' has no host; expected tcp://HOST:PORT or tls://HOST:PORT") }
        self.init(host: String(host), port: port, scheme: scheme)
    }

    public var description: String {
        host.contains(":") ? "\(scheme)://[\(host)]:\(port)" : "\(scheme)://\(host):\(port)"
    }
}

public struct TransportError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
