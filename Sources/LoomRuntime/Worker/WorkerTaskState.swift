/// A task's state on a worker, as worker plugins see it.
public enum WorkerTaskState: String, Sendable, Equatable {
    /// Waiting for dependencies to arrive from peers.
    case waiting
    /// Every input here; waiting for a thread.
    case ready
    /// Handed to a task thread.
    case executing
    /// Finished; its value is held here.
    case memory
    /// Failed; the scheduler was told.
    case error
    /// Freed, stolen or withdrawn: no longer this worker's.
    case released
}
