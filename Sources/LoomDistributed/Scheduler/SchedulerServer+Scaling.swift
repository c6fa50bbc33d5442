import Foundation

// What clusters ask of their scheduler to scale: how many workers the work calls for, which
// could go, and retiring them without losing data.

extension SchedulerServer {
    /// Dask's `adaptive_target`: the workers the current work calls for (fewer only by whole
    /// `groups`, see `workersToClose`).
    public func adaptiveTarget(targetDuration: Duration, groups: [String: String] = [:]) -> Int {
        core.adaptiveTarget(targetDuration: targetDuration / .seconds(1)) { id in workerName(id).flatMap { groups[$0] } }
    }

    /// Names of the workers that could go first (see `SchedulerState.workersToClose`); workers
    /// `groups` maps to the same name (a batch job's) go together or not at all.
    public func workersToClose(target: Int? = nil, groups: [String: String] = [:]) -> [String] {
        core.workersToClose(target: target) { id in workerName(id).flatMap { groups[$0] } }
            .compactMap(workerName)
    }

    /// Names of the workers connected now.
    public var connectedWorkerNames: [String] { core.workerIDs.compactMap(workerName) }

    /// Retires workers gracefully: they take no new work, the values only they hold are copied
    /// to staying workers, then the scheduler forgets them (their processing tasks go elsewhere,
    /// unblamed). A worker whose only copies could not be copied within `timeout` (no staying
    /// worker, or a copy failed) stays. Returns the names of the workers retired; the caller
    /// then stops them.
    public func retire(workers names: [String], timeout: Duration = .seconds(30)) async -> [String] {
        await retire(groups: names.map { [$0] }, timeout: timeout)
    }

    /// Retires groups of workers (the workers of one batch job) each as a whole: if one of a
    /// group's workers has to stay, its whole group stays.
    public func retire(groups: [[String]], timeout: Duration = .seconds(30)) async -> [String] {
        let idsByName = Dictionary(core.workerIDs.compactMap { id in workerName(id).map { ($0, id) } }) { first, _ in first }
        let groupIDs = groups.map { $0.compactMap { idsByName[$0] } }.filter { !$0.isEmpty }
        let ids = groupIDs.flatMap { $0 }
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
            pending = pending.filter { core.onlyCopies(heldBy: $0) > 0 && workerName($0) != nil }
        }
        var retired: [String] = []
        for group in groupIDs {
            // A task that finished meanwhile may have left a value only here: such a group stays too.
            let stays = group.filter { pending.contains($0) || core.onlyCopies(heldBy: $0) > 0 }
            guard stays.isEmpty else {
                let kept = group.compactMap(workerName).sorted()
                logger.warning("workers stay: their data has nowhere to go", metadata: ["workers": "\(kept)"])
                apply(core.handle(.keepWorkers(group)))
                continue
            }
            for id in group {
                guard let name = workerName(id) else { continue }
                left(id.rawValue, retired: true)
                connections[id.rawValue]?.outbox.post(.closeWorker)
                retired.append(name)
            }
        }
        return retired
    }
}
