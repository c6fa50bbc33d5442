/// Which values of a column are present: a bitmap, one bit per row, set when the row holds a
/// value (Arrow's validity bitmap). A column without nulls has none at all.
public struct Validity: Sendable, Hashable {
    /// Bit `i % 64` of word `i / 64` is row `i`.
    public private(set) var words: [UInt64]
    public let count: Int

    /// Every row valid.
    public init(allValid count: Int) {
        self.count = count
        var words = [UInt64](repeating: .max, count: (count + 63) / 64)
        if count % 64 != 0 { words[words.count - 1] = (1 << UInt64(count % 64)) - 1 }
        self.words = words
    }

    public init(_ valid: [Bool]) {
        count = valid.count
        var words = [UInt64](repeating: 0, count: (valid.count + 63) / 64)
        for (row, isValid) in valid.enumerated() where isValid { words[row >> 6] |= 1 << UInt64(row & 63) }
        self.words = words
    }

    init(words: [UInt64], count: Int) {
        self.words = words
        self.count = count
    }

    @inline(__always)
    public func isValid(_ row: Int) -> Bool { words[row >> 6] & (1 << UInt64(row & 63)) != 0 }

    public var nullCount: Int { count - words.reduce(0) { $0 + $1.nonzeroBitCount } }

    mutating func set(_ row: Int, _ valid: Bool) {
        if valid { words[row >> 6] |= 1 << UInt64(row & 63) } else { words[row >> 6] &= ~(1 << UInt64(row & 63)) }
    }

    /// Valid where both are (nil stands for all valid).
    static func both(_ left: Validity?, _ right: Validity?) -> Validity? {
        guard let left else { return right }
        guard let right else { return left }
        return Validity(words: zip(left.words, right.words).map { $0 & $1 }, count: left.count)
    }

    /// Nil when every row is valid: columns keep no bitmap they do not need.
    var simplified: Validity? { nullCount == 0 ? nil : self }
}
