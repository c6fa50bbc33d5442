import Loom

/// The demo's work: count the primes below a limit with a segmented sieve, one task a segment,
/// combined by a pairwise tree of merges. Known values check the answer (π(10^8) = 5 761 455).
enum DemoTasks {
    /// Primes in `[start, end)`: how many, their sum, and the widest gap between two of them.
    static let sieveSegment = TaskFunction("sieve-segment") { (start: Int, end: Int) in
        PrimeStats.ofSegment(start..<end)
    }
    static let merge = TaskFunction("merge-stats") { (left: PrimeStats, right: PrimeStats) in left.merged(with: right) }

    static let all: [any TaskFunctionRepresentable] = [sieveSegment, merge]

    /// The graph for primes below `limit`, in segments of `segment` numbers.
    static func primes(below limit: Int, segment: Int) -> Delayed<PrimeStats> {
        var level = stride(from: 0, to: limit, by: segment).map { sieveSegment.delayed($0, min($0 + segment, limit)) }
        while level.count > 1 {
            var next: [Delayed<PrimeStats>] = []
            for pair in stride(from: 0, to: level.count, by: 2) {
                next.append(pair + 1 < level.count ? merge.delayed(level[pair], level[pair + 1]) : level[pair])
            }
            level = next
        }
        return level[0]
    }
}

struct PrimeStats: Codable, Sendable, Equatable, TaskArgument {
    var count = 0
    var sum = 0
    var first: Int?
    var last: Int?
    /// The widest gap between consecutive primes, and the prime it starts at.
    var widestGap = 0
    var widestGapStart: Int?

    func merged(with other: PrimeStats) -> PrimeStats {
        guard let last, let otherFirst = other.first else { return other.first == nil ? self : other }
        var merged = self
        merged.count += other.count
        merged.sum &+= other.sum
        merged.last = other.last
        let candidates = [(otherFirst - last, last), (other.widestGap, other.widestGapStart ?? 0)]
        for (gap, start) in candidates where gap > merged.widestGap {
            merged.widestGap = gap
            merged.widestGapStart = start
        }
        return merged
    }

    static func ofSegment(_ range: Range<Int>) -> PrimeStats {
        let low = max(range.lowerBound, 2)
        guard low < range.upperBound else { return PrimeStats() }
        var composite = [Bool](repeating: false, count: range.upperBound - low)
        var factor = 2
        while factor * factor < range.upperBound {
            var multiple = max(factor * factor, (low + factor - 1) / factor * factor)
            while multiple < range.upperBound {
                composite[multiple - low] = true
                multiple += factor
            }
            factor += 1
        }
        var stats = PrimeStats()
        for (offset, isComposite) in composite.enumerated() where !isComposite {
            let prime = low + offset
            if let last = stats.last, prime - last > stats.widestGap {
                stats.widestGap = prime - last
                stats.widestGapStart = last
            }
            stats.count += 1
            stats.sum &+= prime
            stats.first = stats.first ?? prime
            stats.last = prime
        }
        return stats
    }
}
