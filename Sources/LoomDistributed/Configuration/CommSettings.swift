import LoomCore

/// `comm:` in loom.yaml: whether plain TCP is refused, and the TLS files of each role
/// (`comm.require-encryption`, `comm.tls.ca-file`, `comm.tls.worker.cert`, …).
public struct CommSettings: ConfigurationSection, Equatable {
    public static let name = "comm"
    public var requireEncryption = false
    public var tlsCAFile: String?
    /// By role: `scheduler`, `worker`, `client`.
    public var tls: [String: TLSFiles] = [:]

    public init() {}

    public mutating func set(_ setting: String, to value: ConfigurationValue) throws {
        let roles = Security.Role.allCases.map(\.rawValue)
        let text = try value.single()
        let parts = setting.split(separator: ".").map(String.init)
        if parts == ["require-encryption"] {
            guard let flag = Bool(text.lowercased()) else { throw value.invalid(expected: "true or false") }
            requireEncryption = flag
        } else if parts == ["tls", "ca-file"] {
            guard !text.isEmpty else { throw value.invalid(expected: "a file path") }
            tlsCAFile = text
        } else if parts.count == 3, parts[0] == "tls", roles.contains(parts[1]), parts[2] == "cert" || parts[2] == "key" {
            guard !text.isEmpty else { throw value.invalid(expected: "a file path") }
            if parts[2] == "cert" { tls[parts[1], default: TLSFiles()].certificate = text } else { tls[parts[1], default: TLSFiles()].key = text }
        } else {
            throw Self.unknown(value, known: ["require-encryption", "tls.ca-file"] + roles.flatMap { ["tls.\($0).cert", "tls.\($0).key"] })
        }
    }
}

/// A role's certificate and key files (`comm.tls.worker.cert`, `comm.tls.worker.key`).
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String?
    public var key: String?
    public init(certificate: String? = nil, key: String? = nil) {
        self.certificate = certificate
        self.key = key
    }
}
