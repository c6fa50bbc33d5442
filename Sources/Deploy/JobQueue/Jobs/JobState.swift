/// Where a batch job stands, mapped from each system's own states (as Parsl and HyperQueue do).
public enum JobState: String, Sendable, Codable {
    /// Not submitted yet: held back by the cluster's `SubmissionLimits`.
    case waiting
    case pending, running, finished, failed, timedOut, cancelled

    var isOver: Bool { self != .waiting && self != .pending && self != .running }
}
