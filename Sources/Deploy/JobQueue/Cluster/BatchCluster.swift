import LoomCore
import LoomDistributed

/// A job-queue cluster whatever its batch system: for code that chooses the system at run time
/// (from configuration, a command line) rather than by naming `SLURMCluster` and the like.
public protocol BatchCluster: Cluster {
    var system: BatchSystem { get }
    var options: JobQueueOptions { get }
    /// The jobs asked for and not cancelled, with their states.
    var jobs: [JobInfo] { get }
    var submissions: SubmissionStatus { get }
    func resumeSubmissions()
    func jobScript() throws -> String
    func scale(jobs: Int) async throws
    func scale(workers: Int) async throws
    func scale(cores: Int) async throws
    func scale(memory: String) async throws
    /// `adapt(minimumJobs:maximumJobs:…)`, which has the defaults.
    func adaptJobs(minimum: Int, maximum: Int, targetDuration: Duration, interval: Duration, waitCount: Int)
}

extension BatchCluster {
    /// Follows the work between `minimumJobs` and `maximumJobs` jobs (Dask's rule).
    public func adapt(minimumJobs: Int = 0, maximumJobs: Int = .max, targetDuration: Duration = .seconds(5),
                      interval: Duration = .seconds(1), waitCount: Int = 3) {
        adaptJobs(minimum: minimumJobs, maximum: maximumJobs, targetDuration: targetDuration, interval: interval, waitCount: waitCount)
    }
}

extension JobQueueCluster: BatchCluster {
    public func adaptJobs(minimum: Int, maximum: Int, targetDuration: Duration, interval: Duration, waitCount: Int) {
        adapt(minimumJobs: minimum, maximumJobs: maximum, targetDuration: targetDuration, interval: interval, waitCount: waitCount)
    }
}

extension BatchSystem {
    /// A cluster of this system's jobs: `JobQueueCluster<Dialect>` for its dialect. Without
    /// `options` or `setup`, they come from the `jobqueue.<system>` section of loom.yaml.
    public func cluster(options: JobQueueOptions? = nil, setup: JobQueueSetup? = nil) async throws -> any BatchCluster {
        try await Self.cluster(of: dialect, options: options, setup: setup)
    }

    private static func cluster<Dialect: BatchDialect>(of _: Dialect, options: JobQueueOptions?, setup: JobQueueSetup?) async throws
        -> any BatchCluster
    {
        try await JobQueueCluster<Dialect>(options: options, setup: setup)
    }
}
