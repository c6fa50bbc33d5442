import Foundation
import LoomDistributed
import Testing
@testable import LoomJobQueue

/// The job-submission limits, without a batch system: rate, pending cap, delays and pause.
struct SubmissionThrottleTests {
    let start = ContinuousClock.now

    @Test func aBurstThenTheRate() {
        var throttle = SubmissionThrottle(limits: SubmissionLimits(submissionsPerSecond: 2, burst: 3), now: start)
        #expect((0..<4).map { _ in throttle.decide(pending: 0, now: start) } == [.submit, .submit, .submit, .wait])
        #expect(throttle.decide(pending: 0, now: start + .milliseconds(400)) == .wait, "0.8 of a submission earned")
        #expect(throttle.decide(pending: 0, now: start + .milliseconds(500)) == .submit)
        // Idle for long: no more than the burst is saved up.
        let later = start + .seconds(60)
        #expect((0..<4).map { _ in throttle.decide(pending: 0, now: later) } == [.submit, .submit, .submit, .wait])
    }

    @Test func noMoreThanTheCapPending() {
        var throttle = SubmissionThrottle(limits: SubmissionLimits(maximumPendingJobs: 2), now: start)
        #expect(throttle.decide(pending: 1, now: start) == .submit)
        #expect(throttle.decide(pending: 2, now: start) == .wait)
        #expect(throttle.decide(pending: 5, now: start) == .wait)
        #expect(SubmissionLimits(maximumPendingJobs: 0).maximumPendingJobs == 1, "a cap of 0 would never submit")
        var unbounded = SubmissionLimits()
        unbounded.maximumPendingJobs = 0
        unbounded.burst = 0
        var bounded = SubmissionThrottle(limits: unbounded, now: start)
        #expect(bounded.decide(pending: 0, now: start) == .submit, "limits set after the initialiser are bounded too")
    }

    @Test func refusalsDelayTheNextSubmissionMoreEachTimeThenPause() {
        let limits = SubmissionLimits(delayAfterFailure: .seconds(1), failuresBeforePause: 3, pause: .seconds(300))
        var throttle = SubmissionThrottle(limits: limits, now: start)
        throttle.failed("sbatch: error: invalid partition specified: nope", now: start)
        #expect(throttle.decide(pending: 0, now: start + .milliseconds(900)) == .wait)
        #expect(throttle.decide(pending: 0, now: start + .seconds(1)) == .submit)
        throttle.failed("again", now: start + .seconds(1))
        #expect(throttle.decide(pending: 0, now: start + .milliseconds(2900)) == .wait, "2 s after the second")
        #expect(throttle.decide(pending: 0, now: start + .seconds(3)) == .submit)
        throttle.failed("sbatch: error: Batch job submission failed", now: start + .seconds(3))
        #expect(throttle.isPaused)
        #expect(throttle.decide(pending: 0, now: start + .seconds(10))
            == .paused(until: start + .seconds(303), lastError: "sbatch: error: Batch job submission failed"))
        let status = throttle.status(now: start + .seconds(3))
        #expect(status.consecutiveFailures == 3 && status.lastError == "sbatch: error: Batch job submission failed")
        #expect(status.pausedUntil.map { abs($0.timeIntervalSinceNow - 300) < 5 } == true)
        // After the pause one more try; resuming ends the pause at once.
        #expect(throttle.decide(pending: 0, now: start + .seconds(303)) == .submit)
        throttle.clearFailures()
        #expect(!throttle.isPaused && throttle.status().pausedUntil == nil)
        #expect(throttle.decide(pending: 0, now: start + .seconds(303)) == .submit)
    }
}
