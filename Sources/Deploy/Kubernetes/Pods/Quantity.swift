import Foundation

/// Kubernetes resource quantities: `500m` CPU, `4Gi` or `1G` or `1e9` bytes.
enum Quantity {
    private static let suffixes: [(String, Double)] = [
        ("Ki", 0x1p10), ("Mi", 0x1p20), ("Gi", 0x1p30), ("Ti", 0x1p40), ("Pi", 0x1p50), ("Ei", 0x1p60),
        ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
    ]

    /// The quantity's value (cores, bytes), or nil when it is not a quantity.
    static func value(_ json: KubernetesJSON) -> Double? {
        if let number = json.double { return number }
        guard let text = json.string?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        for (suffix, factor) in suffixes where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { $0 * factor }
        }
        return Double(text)  // plain, or with an exponent (1e9)
    }
}
