/// A number of bytes as people write it: `2GB` (decimal), `2GiB` (binary), `512MB`, `1e9`, `0`.
///
/// GB versus GiB is a classic source of surprise, so both are accepted and kept apart:
/// `2GB` is 2 000 000 000 bytes and `2GiB` is 2 147 483 648.
public enum MemorySize {
    public static func bytes(_ text: String) throws -> UInt64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let number = Double(digits), number >= 0, number.isFinite, let multiplier = multipliers[unit] else {
            throw LoomError(.configuration, "'\(text)' is not a memory size; write e.g. 2GB, 1.5GiB or 500MB")
        }
        return UInt64((number * multiplier).rounded())
    }
}

import Foundation
