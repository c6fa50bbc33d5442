/// Where a scheduler or worker listens: `tcp://host:port`.
public struct Address: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `tcp://host:port`, `host:port`, or `tcp://[v6]:port`.
    public init(parsing text: String) throws {
        var rest = Substring(text)
        if rest.hasPrefix("tcp://") { rest = rest.dropFirst("tcp://".count) }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else {
            throw TransportError("'\(text)' is not an address; expected tcp://HOST:PORT")
        }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw TransportError("'\(text)' has no host; expected tcp://HOST:PORT") }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)" }
}

public struct TransportError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
