import LoomCore

/// A key as a plugin's Codable requests and replies carry it: its prefix and token, so it comes
/// back as the same key (its description would not tell a user key from a generated one).
struct CodableKey: Codable, Sendable, Hashable {
    var prefix: String
    var token: UInt64?

    init(_ key: Key) {
        prefix = key.prefix
        token = key.token
    }

    var key: Key { token.map { Key(prefix: prefix, token: $0) } ?? Key(prefix) }
}
