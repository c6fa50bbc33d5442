import Foundation
import LoomDistributed

/// How fast and how far a job-queue cluster may submit jobs (dask-jobqueue has no such limits;
/// these follow HyperQueue's allocator). Jobs held back wait here, unsubmitted (`.waiting`),
/// and go as soon as the limits allow.
public struct SubmissionLimits: Sendable, Equatable {
    /// At most this many jobs submitted and not yet running (nil: no cap); more wait until some
    /// start, so a crowded queue is not flooded and a site's queued-job limit is respected.
    public var maximumPendingJobs: Int?
    /// Submissions per second on average, after a first burst of `burst`.
    public var submissionsPerSecond: Double
    public var burst: Int
    /// After a failed submission the next waits this long, doubling with each failure in a row.
    public var delayAfterFailure: Duration
    /// After this many failures in a row, submissions pause for `pause` (or until
    /// `resumeSubmissions()`), and asking for jobs meanwhile fails with the last error.
    public var failuresBeforePause: Int
    public var pause: Duration

    public init(maximumPendingJobs: Int? = nil, submissionsPerSecond: Double = 5, burst: Int = 20,
                delayAfterFailure: Duration = .seconds(1), failuresBeforePause: Int = 5, pause: Duration = .seconds(300)) {
        self.maximumPendingJobs = maximumPendingJobs.map { max(1, $0) }
        self.submissionsPerSecond = max(0.001, submissionsPerSecond)
        self.burst = max(1, burst)
        self.delayAfterFailure = delayAfterFailure
        self.failuresBeforePause = max(1, failuresBeforePause)
        self.pause = pause
    }
}

/// Where submissions stand: failures in a row, the batch system's last refusal, a pause.
public struct SubmissionStatus: Sendable, Equatable {
    public var consecutiveFailures: Int
    /// What the batch system said when it last refused a job.
    public var lastError: String?
    /// Submissions are paused until then (after `failuresBeforePause` failures in a row).
    public var pausedUntil: Date?
}

/// Decides, without I/O, whether a job may be submitted now: a token bucket for the rate, the
/// pending-job cap, and growing delays then a pause after failures in a row.
struct SubmissionThrottle: Sendable {
    typealias Instant = ContinuousClock.Instant

    enum Decision: Equatable {
        case submit
        /// Not now; the job waits.
        case wait
        /// Submissions are paused after repeated failures: asking fails with this.
        case paused(until: Instant, lastError: String)
    }

    let limits: SubmissionLimits
    private var tokens: Double
    private var refilledAt: Instant
    private(set) var consecutiveFailures = 0
    private(set) var lastError: String?
    /// No submission before this, after a failure.
    private var notBefore: Instant?

    init(limits given: SubmissionLimits, now: Instant = .now) {
        // Through the initialiser again: fields set afterwards are bounded too.
        let limits = SubmissionLimits(
            maximumPendingJobs: given.maximumPendingJobs, submissionsPerSecond: given.submissionsPerSecond, burst: given.burst,
            delayAfterFailure: given.delayAfterFailure, failuresBeforePause: given.failuresBeforePause, pause: given.pause)
        self.limits = limits
        tokens = Double(limits.burst)
        refilledAt = now
    }

    var isPaused: Bool { consecutiveFailures >= limits.failuresBeforePause }

    /// Whether one more job may be submitted now, with `pending` submitted and not yet running;
    /// `.submit` takes its share of the rate.
    mutating func decide(pending: Int, now: Instant = .now) -> Decision {
        if let notBefore, now < notBefore {
            return isPaused ? .paused(until: notBefore, lastError: lastError ?? "") : .wait
        }
        if let cap = limits.maximumPendingJobs, pending >= cap { return .wait }
        tokens = min(Double(limits.burst), tokens + (now - refilledAt) / .seconds(1) * limits.submissionsPerSecond)
        refilledAt = now
        guard tokens >= 1 else { return .wait }
        tokens -= 1
        return .submit
    }

    /// A refusal: the next submission waits 1, 2, 4… delays, and after `failuresBeforePause`
    /// in a row, the pause.
    mutating func failed(_ said: String, now: Instant = .now) {
        consecutiveFailures += 1
        lastError = said
        notBefore = now + (isPaused ? limits.pause : limits.delayAfterFailure * (1 << min(consecutiveFailures - 1, 20)))
    }

    /// After a success, or to end a pause (the user fixed what the batch system refused).
    mutating func clearFailures() {
        consecutiveFailures = 0
        notBefore = nil
    }

    func status(now: Instant = .now) -> SubmissionStatus {
        var paused: Date?
        if isPaused, let notBefore, notBefore > now { paused = Date() + (notBefore - now) / .seconds(1) }
        return SubmissionStatus(consecutiveFailures: consecutiveFailures, lastError: lastError, pausedUntil: paused)
    }
}
