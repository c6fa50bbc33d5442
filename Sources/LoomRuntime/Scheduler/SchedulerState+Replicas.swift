import LoomCore

// Copies of values on more workers (Dask's `replicate`): a value many tasks read, or one that
// must survive a worker, is copied to `copies` workers, each copy to the worker holding the
// fewest bytes; workers fetch it from a holder and report it (`keysAdded`).

extension SchedulerState {
    mutating func replicate(_ keys: [Key], copies: Int) {
        let candidates = activeWorkers.filter { !workers[Int($0)].retiring }
        guard !candidates.isEmpty else { return }
        let wanted = min(max(1, copies), candidates.count)
        var planned = Dictionary(uniqueKeysWithValues: candidates.map { ($0, workers[Int($0)].nbytes) })
        var requests: [WorkerSlot: [Key: [WorkerID]]] = [:]
        for key in keys {
            guard let task = taskSlots[key], tasks[Int(task)].state == .memory else { continue }
            let holders = tasks[Int(task)].holders
            let missing = wanted - candidates.count { holders.contains($0) }
            guard missing > 0 else { continue }
            let recipients = candidates.filter { !holders.contains($0) }.sorted { (planned[$0]!, $0) < (planned[$1]!, $1) }.prefix(missing)
            for recipient in recipients {
                planned[recipient]! += tasks[Int(task)].nbytes
                requests[recipient, default: [:]][key] = holderIDs(task)
            }
        }
        for (recipient, keys) in requests.sorted(by: { $0.key < $1.key }) {
            emit(.replicate(worker: workers[Int(recipient)].id, keys: keys), to: recipient)
        }
    }
}
