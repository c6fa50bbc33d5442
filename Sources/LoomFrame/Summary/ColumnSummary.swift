import LoomCore

/// What `describe()` knows of one numeric column, mergeable across partitions: count, sum and
/// sum of squares (mean and std), extremes, and a quantile sketch — the sorted values while
/// they are few, else evenly spaced quantiles of them, each standing for `weight` rows.
struct ColumnSummary: Sendable, Codable {
    var count = 0
    var sum = 0.0
    var sumOfSquares = 0.0
    var minimum = Double.infinity
    var maximum = -Double.infinity
    /// (value, rows it stands for), sorted by value.
    var sketch: [Double] = []
    var weights: [Double] = []

    static let sketchSize = 4096

    init() {}

    init(_ column: Column) throws {
        let values = try column.cast(to: .double).doubles.enumerated().compactMap { row, value in column.isNull(row) || value.isNaN ? nil : value }
        count = values.count
        for value in values {
            sum += value
            sumOfSquares += value * value
            minimum = Swift.min(minimum, value)
            maximum = Swift.max(maximum, value)
        }
        let sorted = values.sorted()
        (sketch, weights) = Self.compressed(sorted, sorted.map { _ in 1 })
    }

    /// At most `sketchSize` points: every value's weight lands on the nearest kept point.
    private static func compressed(_ values: [Double], _ weights: [Double]) -> ([Double], [Double]) {
        guard values.count > sketchSize else { return (values, weights) }
        let total = weights.reduce(0, +)
        var points: [Double] = [], kept: [Double] = []
        var running = 0.0, bucket = 0.0
        for (value, weight) in zip(values, weights) {
            running += weight
            bucket += weight
            if running >= total * Double(points.count + 1) / Double(sketchSize) {
                points.append(value)
                kept.append(bucket)
                bucket = 0
            }
        }
        if bucket > 0 { kept[kept.count - 1] += bucket }
        return (points, kept)
    }

    static func merged(_ summaries: [ColumnSummary]) -> ColumnSummary {
        var result = ColumnSummary()
        var pairs: [(Double, Double)] = []
        for summary in summaries {
            result.count += summary.count
            result.sum += summary.sum
            result.sumOfSquares += summary.sumOfSquares
            result.minimum = Swift.min(result.minimum, summary.minimum)
            result.maximum = Swift.max(result.maximum, summary.maximum)
            pairs += zip(summary.sketch, summary.weights)
        }
        pairs.sort { $0.0 < $1.0 }
        (result.sketch, result.weights) = compressed(pairs.map(\.0), pairs.map(\.1))
        return result
    }

    /// The `q` quantile with linear interpolation between order statistics (pandas' default):
    /// exact while the sketch holds every value.
    func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let total = weights.reduce(0, +)
        let position = q * (total - 1)
        // The cumulative weight before each point is the rank of its first row.
        var rank = 0.0
        for index in sketch.indices {
            let last = rank + weights[index] - 1
            if position <= last { return sketch[index] }
            if index + 1 < sketch.count, position < last + 1 {
                let fraction = position - last
                return sketch[index] + (sketch[index + 1] - sketch[index]) * fraction
            }
            rank += weights[index]
        }
        return sketch.last
    }

    var mean: Double? { count > 0 ? sum / Double(count) : nil }

    /// Sample standard deviation (ddof 1).
    var std: Double? {
        guard count > 1 else { return nil }
        let n = Double(count)
        return Swift.max(0, (sumOfSquares - sum * sum / n) / (n - 1)).squareRoot()
    }

    /// count, mean, std, min, 25%, 50%, 75%, max — pandas' `describe` rows.
    var described: [Double?] {
        [Double(count), mean, std, count > 0 ? minimum : nil, quantile(0.25), quantile(0.5), quantile(0.75), count > 0 ? maximum : nil]
    }

    static let statistics = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
}
