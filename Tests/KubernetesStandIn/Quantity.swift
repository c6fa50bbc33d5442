import Foundation

/// A Kubernetes resource quantity (`500m`, `2`, `512Mi`, `1G`, `1e9`): a number with a binary
/// (Ki … Ei), decimal (n u m k M G T P E) or exponent suffix, in base units (cores, bytes).
enum Quantity {
    private static let suffixes: [(String, Double)] = [
        ("Ki", 0x1p10), ("Mi", 0x1p20), ("Gi", 0x1p30), ("Ti", 0x1p40), ("Pi", 0x1p50), ("Ei", 0x1p60),
        ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
    ]

    /// The value, or nil when `text` is not a quantity (the real server refuses those with a 422).
    static func parse(_ text: String) -> Double? {
        let text = text.trimmingCharacters(in: .whitespaces)
        for (suffix, factor) in suffixes where text.hasSuffix(suffix) {
            guard let number = number(String(text.dropLast(suffix.count))) else { return nil }
            return number * factor
        }
        // An exponent (`1e9`, `5E-3`), or a plain number.
        return number(text, allowingExponent: true)
    }

    /// A quantity as JSON: a string, or a bare number (YAML `memory: 1000000000`).
    static func parse(_ value: JSON) -> Double? {
        switch value {
        case .string(let text): parse(text)
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    private static func number(_ text: String, allowingExponent: Bool = false) -> Double? {
        guard !text.isEmpty, text.first != "." || text.count > 1 else { return nil }
        let allowed = Set("0123456789.+-" + (allowingExponent ? "eE" : ""))
        guard text.allSatisfy(allowed.contains), let value = Double(text) else { return nil }
        return value
    }
}
