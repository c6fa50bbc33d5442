import Foundation

// What clusters ask of their scheduler to scale: how many workers the work calls for, which
// could go, and retiring them without losing data.

extension SchedulerServer {
    /// Dask's `adaptive_target`: the workers the current work calls for.
    public func adaptiveTarget(targetDuration: Duration) -> Int {
        core.adaptiveTarget(targetDuration: targetDuration / .seconds(1))
    }

    /// Names of the workers that could go first (see `SchedulerState.workersToClose`).
    public func workersToClose(target: Int? = nil) -> [String] {
        core.workersToClose(target: target).compactMap { workerNames[$0.rawValue] }
    }

    /// Names of the workers connected now.
    public var connectedWorkerNames: [String] { Array(workerNames.values) }

    /// Retires workers gracefully: they take no new work, the values only they hold are copied
    /// to staying workers, then the scheduler forgets them (their processing tasks go elsewhere,
    /// unblamed). A worker whose only copies could not be copied within `timeout` (no staying
    /// worker, or a copy failed) stays. Returns the names of the workers retired; the caller
    /// then stops them.
    public func retire(workers names: [String], timeout: Duration = .seconds(30)) async -> [String] {
        let ids = workerNames.filter { names.contains($0.value) }.map { WorkerID($0.key) }
        guard !ids.isEmpty else { return [] }
        apply(core.handle(.retireWorkers(ids)))
        let deadline = ContinuousClock.now + timeout
        var lastAsked = ContinuousClock.now
        var pending = ids.filter { core.onlyCopies(heldBy: $0) > 0 }
        while !pending.isEmpty, ContinuousClock.now < deadline, !Task.isCancelled, !core.workerIDs.allSatisfy(ids.contains) {
            try? await Task.sleep(for: .milliseconds(10))
            if ContinuousClock.now - lastAsked > .seconds(2) {
                // A copy may have failed (a holder died meanwhile): ask again for what is missing.
                lastAsked = .now
                apply(core.handle(.retireWorkers(pending)))
            }
            pending = pending.filter { core.onlyCopies(heldBy: $0) > 0 && workerNames[$0.rawValue] != nil }
        }
        if !pending.isEmpty {
            let kept = pending.compactMap { workerNames[$0.rawValue] }
            logger.warning("workers stay: their data has nowhere to go", metadata: ["workers": "\(kept.sorted())"])
            apply(core.handle(.keepWorkers(pending)))
        }
        var retired: [String] = []
        for id in ids where !pending.contains(id) {
            guard let name = workerNames[id.rawValue] else { continue }
            // A task that finished meanwhile left a value only here: keep the worker this time.
            if core.onlyCopies(heldBy: id) > 0 {
                apply(core.handle(.keepWorkers([id])))
                continue
            }
            left(id.rawValue, Hello(role: .worker, name: name), retired: true)
            outboxes[id.rawValue]?.post(.closeWorker)
            retired.append(name)
        }
        return retired
    }
}
