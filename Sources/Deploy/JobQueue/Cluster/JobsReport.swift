import Foundation
import LoomDistributed

/// What a job-queue cluster shows on the dashboard's jobs page (`/jobs`, `/api/jobs`): each
/// job's id, state and folder, and where submissions stand, the batch system's last refusal
/// included.
public struct JobsReport: Sendable, Codable, Equatable {
    /// The batch system (`slurm`, …); nil when the cluster's workers are not batch jobs.
    public var system: String?
    public var jobs: [JobInfo]
    public var consecutiveFailures: Int
    public var lastError: String?
    /// Seconds until submissions resume, while they are paused.
    public var pausedForSeconds: Double?
    public var maximumPendingJobs: Int?

}

/// The scheduler plugin behind the dashboard's jobs page: a job-queue cluster's jobs and where
/// its submissions stand (`status()`, shown at `/jobs` and `/api/jobs`).
final class JobsPlugin: SchedulerPlugin {
    let name = "jobs"
    var observesTransitions: Bool { false }
    let launcher: BatchJobLauncher

    init(launcher: BatchJobLauncher) { self.launcher = launcher }

    func status() async -> (any Encodable & Sendable)? { launcher.report }
}

extension BatchJobLauncher {
    /// This launcher's jobs (not those cancelled) and submissions, for the dashboard.
    var report: JobsReport {
        let status = submissions
        return JobsReport(
            system: type(of: dialect).system.rawValue, jobs: current.filter { $0.state != .cancelled }, consecutiveFailures: status.consecutiveFailures,
            lastError: status.lastError, pausedForSeconds: status.pausedUntil.map { max(0, $0.timeIntervalSinceNow) },
            maximumPendingJobs: limits.maximumPendingJobs)
    }
}
