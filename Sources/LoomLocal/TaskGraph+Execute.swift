import Foundation
import LoomCore

extension TaskGraph {
    /// Runs the graph on a local scheduler and reports its outputs and how the run went.
    ///
    /// A failing task ends the run with an error naming its key, function and message; tasks
    /// not yet started are abandoned. Cancelling the calling task abandons the run the same way.
    public func execute(on scheduler: Scheduler? = nil, progress: ProgressBar? = nil) async throws -> ExecutionReport {
        if scheduler == nil, let runner = DefaultGraphRunner.runner {
            let started = ContinuousClock.now
            let counter = progress.map { _ in ProgressCounter(total: count) }
            let stopProgress = zip(progress, counter).map { $0.watch($1) } ?? {}
            defer { stopProgress() }
            let outputs = try await runner.run(self, progress: counter.map { counter in { @Sendable finished in counter.set(finished) } })
            return ExecutionReport(outputs: outputs, tasks: count, peakHeldResults: outputs.count, seconds: (ContinuousClock.now - started) / .seconds(1))
        }
        let scheduler = try scheduler ?? Scheduler.configured(Configuration.current)
        let counter = progress.map { _ in ProgressCounter(total: count) }
        let stopProgress = zip(progress, counter).map { $0.watch($1) } ?? {}
        defer { stopProgress() }

        switch scheduler.kind {
        case .synchronous:
            return try SynchronousExecutor(graph: self, progress: counter).run(isCancelled: { Task.isCancelled })
        case .threads:
            let executor = ThreadPoolExecutor(graph: self, threads: scheduler.resolvedWorkers, progress: counter)
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    executor.start { continuation.resume(with: $0.mapError { $0 as any Error }) }
                }
            } onCancel: {
                executor.cancel(LoomError(.cancelled, "the computation was cancelled"))
            }
        case .processes:
            let executable = scheduler.executable ?? CurrentExecutable.path
            let executor = ProcessPoolExecutor(graph: self, processes: scheduler.resolvedWorkers, executable: executable, progress: counter)
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    _ = DedicatedThread(name: "loom-processes") {
                        continuation.resume(with: Result { () throws(LoomError) in try executor.run() }.mapError { $0 as any Error })
                    }
                }
            } onCancel: {
                executor.cancel(LoomError(.cancelled, "the computation was cancelled"))
            }
        }
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
