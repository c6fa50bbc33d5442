import LoomCore

/// What a task running on a cluster worker can reach: its key, its worker, and a client of
/// the same cluster to launch tasks and await them (Dask's `get_client`/`worker_client`).
///
/// ```swift
/// static let fib = TaskFunction("fib") { (n: Int) async throws -> Int in
///     if n < 2 { return n }
///     let client = try await TaskContext.client()
///     let a = try await client.submit(Jobs.fib, n - 1), b = try await client.submit(Jobs.fib, n - 2)
///     return try await a.result() + b.result()
/// }
/// ```
/// It is bound for async task bodies while they run on a worker (`TaskContext.current`);
/// synchronous bodies and the in-process schedulers have none.
public struct TaskContext: Sendable {
    @TaskLocal static var bound: TaskContext?

    /// The running task's key.
    public let key: Key
    /// The name of the worker running it.
    public let worker: String
    let giveBackSlot: @Sendable () -> Void
    let makeClient: @Sendable () async throws -> Client

    /// The context of the task this code runs in, if it is an async task body on a worker.
    public static var current: TaskContext? { bound }

    /// The worker's client of its own cluster, made on first use and shared by its tasks.
    ///
    /// The task secedes first: it gives its thread slot back, here and on the scheduler, so
    /// the tasks it launches can run even on a worker whose every slot is held by a task
    /// waiting this way (a recursive `fib` on one thread finishes instead of deadlocking).
    public static func client() async throws -> Client {
        guard let context = bound else {
            throw LoomError(.unsupported, "TaskContext.client() is for async task bodies running on a cluster worker; "
                + "outside one, use the Client you have")
        }
        context.giveBackSlot()
        return try await context.makeClient()
    }

    /// Gives the running task's thread slot back without asking for a client (Dask's
    /// `secede`): for a task that will mostly wait. Calling it again does nothing.
    public static func secede() throws {
        guard let context = bound else {
            throw LoomError(.unsupported, "TaskContext.secede() is for async task bodies running on a cluster worker")
        }
        context.giveBackSlot()
    }
}
