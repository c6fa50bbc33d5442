/// The coding path of a value being encoded or decoded, as a chain from the value to the root.
///
/// `Encoder.codingPath` is an array, but building one per nested value costs an array copy per
/// level. A chain shares its parent, and the array (or the `items[3].price` text used in error
/// messages) is only built when asked for.
final class CodingPath: Sendable {
    let parent: CodingPath?
    let key: (any CodingKey)?

    static let root = CodingPath(parent: nil, key: nil)

    private init(parent: CodingPath?, key: (any CodingKey)?) {
        self.parent = parent
        self.key = key
    }

    var isRoot: Bool { parent == nil }

    func appending(_ key: any CodingKey) -> CodingPath {
        CodingPath(parent: self, key: key)
    }

    func appending(index: Int) -> CodingPath {
        CodingPath(parent: self, key: IndexKey(index))
    }

    var keys: [any CodingKey] {
        var keys: [any CodingKey] = []
        var node = self
        while let parent = node.parent, let key = node.key {
            keys.append(key)
            node = parent
        }
        return keys.reversed()
    }

    /// The path as a user would write it: `items[3].price`, or `top level` for the root.
    var rendered: String {
        let keys = self.keys
        guard !keys.isEmpty else { return "top level" }
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}

/// The key of an unkeyed container's element, or of the `super` entry of a keyed container.
struct IndexKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    init?(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init?(intValue: Int) { self.init(intValue) }

    static let superKey = IndexKey(stringValue: "super")!
}
