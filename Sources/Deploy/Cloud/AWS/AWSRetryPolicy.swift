import Foundation

/// When to try a call again, as the SDKs' standard mode does: throttling and transient errors,
/// with exponential backoff and full jitter.
public struct AWSRetryPolicy: Sendable {
    public var maximumAttempts: Int
    public var baseDelay: Double
    public var maximumDelay: Double

    public init(maximumAttempts: Int = 8, baseDelay: Double = 0.2, maximumDelay: Double = 20) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// The codes AWS uses for "slow down" and "try again".
    static let transientCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
        "ServerException",
    ]

    /// Whether `error` may succeed if sent again: a transient code, a 5xx or 429, or no answer.
    public func isTransient(_ error: AWSError) -> Bool {
        Self.transientCodes.contains(error.code) || error.status == 0 || error.status == 429 || (500...599).contains(error.status)
    }

    /// The wait before attempt `attempt + 1` (attempts count from 1), `random` in 0..<1: full
    /// jitter over an exponential bound.
    public func delay(afterAttempt attempt: Int, random: Double) -> Double {
        random * min(maximumDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
    }
}
