/// How a merge runs, by Dask's rule: broadcast the smaller side when it has fewer than
/// ½·log2(the larger side's partitions) partitions, or just one (and the kind of merge keeps
/// every row of the larger side only); otherwise a hash shuffle of both sides into as many
/// buckets as the larger side has partitions.
enum MergeStrategy: Equatable, CustomStringConvertible {
    /// Each left partition against the whole right side.
    case broadcastRight
    /// Each right partition against the whole left side.
    case broadcastLeft
    case shuffle(buckets: Int)

    init(left: Int, right: Int, how: MergeHow) {
        func small(_ side: Int, beside other: Int) -> Bool {
            side == 1 || Double(side) < 0.5 * log2(Double(max(other, 1)))
        }
        if right <= left, small(right, beside: left), how == .inner || how == .left {
            self = .broadcastRight
        } else if left < right, small(left, beside: right), how == .inner || how == .right {
            self = .broadcastLeft
        } else {
            self = .shuffle(buckets: max(left, right))
        }
    }

    var description: String {
        switch self {
        case .broadcastRight: "broadcast the right side to each left partition"
        case .broadcastLeft: "broadcast the left side to each right partition"
        case .shuffle(let buckets): "hash shuffle of both sides into \(buckets) buckets"
        }
    }
}

import Foundation
