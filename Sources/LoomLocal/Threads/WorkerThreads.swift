/// A pool of long-lived threads that run executor loops, so a computation starts without
/// creating threads. Grows when every thread is busy (two computations at once each get their
/// own threads) and keeps the threads for the next computation.
final class WorkerThreads: @unchecked Sendable {
    static let shared = WorkerThreads()

    private let lock = ConditionLock()
    private var jobs: [@Sendable () -> Void] = []
    private var idle = 0
    private var started = 0

    /// Runs `job` on `count` threads of the pool at once.
    func run(on count: Int, _ job: @escaping @Sendable () -> Void) {
        lock.withLock {
            for _ in 0..<count { jobs.append(job) }
            let missing = jobs.count - idle
            for _ in 0..<max(0, missing) {
                started += 1
                let name = "loom-worker-\(started)"
                _ = DedicatedThread(name: name) { [self] in serve() }
            }
            lock.broadcast()
        }
    }

    private func serve() {
        lock.lock()
        while true {
            if let job = jobs.popLast() {
                lock.unlock()
                job()
                lock.lock()
                continue
            }
            idle += 1
            lock.wait()
            idle -= 1
        }
    }
}
