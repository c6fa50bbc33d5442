import Synchronization

/// The name of a task and of the value it produces.
///
/// A key reads well in errors and dashboards: `inc-1f` is the task that ran `inc`, `1f` tells it
/// apart from its siblings. Generated keys keep the prefix and a numeric token apart so that
/// making a million of them costs no string formatting; user-supplied keys are kept verbatim.
public struct Key: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// What groups tasks in progress bars and dashboards: usually the function's name.
    public let prefix: String
    /// Tells tasks with the same prefix apart; `nil` for a user-supplied key, used whole.
    public let token: UInt64?

    /// A user-supplied key, used verbatim (its prefix is the whole name).
    public init(_ name: String) {
        self.prefix = name
        self.token = nil
    }

    public init(prefix: String, token: UInt64) {
        self.prefix = prefix
        self.token = token
    }

    /// A key no other key made by this process has.
    public static func unique(prefix: String) -> Key {
        Key(prefix: prefix, token: nextToken.add(1, ordering: .relaxed).oldValue)
    }

    public var description: String {
        guard let token else { return prefix }
        return prefix + "-" + String(token, radix: 16)
    }

    // Tokens first: they differ far more often than prefixes, and compare in one instruction.
    public static func == (lhs: Key, rhs: Key) -> Bool { lhs.token == rhs.token && lhs.prefix == rhs.prefix }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(token)
        hasher.combine(prefix)
    }

    /// By prefix, then token (a user-supplied key first): a stable order for messages and
    /// listings that formats nothing.
    public static func < (lhs: Key, rhs: Key) -> Bool {
        if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix }
        switch (lhs.token, rhs.token) {
        case (let left?, let right?): return left < right
        case (nil, _?): return true
        default: return false
        }
    }
}

// Starts at a random point so keys made by different client processes sharing one scheduler do
// not collide (40 random bits: a million keys each collide with odds below one in a million).
private let nextToken = Atomic<UInt64>(UInt64.random(in: 1..<(1 << 40)))

extension Key: ExpressibleByStringLiteral {
    /// `"total"` where a key is expected: a user-supplied key, used verbatim.
    public init(stringLiteral name: String) { self.init(name) }
}

extension Key: ExpressibleByStringInterpolation {
    /// `"part-\(i)"` where a key is expected: a user-supplied key, used verbatim.
    public init(stringInterpolation: DefaultStringInterpolation) { self.init(String(stringInterpolation: stringInterpolation)) }
}
