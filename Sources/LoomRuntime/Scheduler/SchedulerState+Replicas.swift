import LoomCore

// Copies of values on more workers (Dask's `replicate`): a value many tasks read, or one that
// must survive a worker, is copied to `copies` workers, each copy to the worker holding the
// fewest bytes; workers fetch it from a holder and report it (`keysAdded`). A rebalance
// (Dask's `rebalance`) moves values the same way, dropping the sender's copy once it landed.
// An actor's key stays where it is: its instance lives on that worker and cannot move.

extension SchedulerState {
    mutating func replicate(_ keys: [Key], copies: Int) {
        let candidates = activeWorkers.filter { !workers[Int($0)].retiring }
        guard !candidates.isEmpty else { return }
        let wanted = min(max(1, copies), candidates.count)
        var planned = Dictionary(uniqueKeysWithValues: candidates.map { ($0, workers[Int($0)].nbytes) })
        var requests: [WorkerSlot: [Key: [WorkerID]]] = [:]
        for key in keys {
            guard let task = taskSlots[key], tasks[Int(task)].state == .memory, !isActor(task) else { continue }
            let holders = tasks[Int(task)].holders
            let missing = wanted - candidates.count { holders.contains($0) }
            guard missing > 0 else { continue }
            let recipients = candidates.filter { !holders.contains($0) }.sorted { (planned[$0]!, $0) < (planned[$1]!, $1) }.prefix(missing)
            for recipient in recipients {
                planned[recipient]! += tasks[Int(task)].nbytes
                requests[recipient, default: [:]][key] = holderIDs(task)
            }
        }
        emitCopies(requests)
    }

    /// Moves values (the given ones, or any) off workers holding more bytes than the mean, the
    /// largest first, each to the worker holding the fewest that stays at or under the mean
    /// with it. A new rebalance replans from what the workers hold now.
    mutating func rebalance(_ keys: [Key]?) {
        pendingMoves.removeAll()
        let candidates = activeWorkers.filter { !workers[Int($0)].retiring }
        guard candidates.count > 1 else { return }
        var load = Dictionary(uniqueKeysWithValues: candidates.map { ($0, workers[Int($0)].nbytes) })
        let mean = load.values.reduce(0, +) / candidates.count
        let only = keys.map { Set($0.compactMap { taskSlots[$0] }) }
        var requests: [WorkerSlot: [Key: [WorkerID]]] = [:]
        for sender in candidates.sorted(by: { (load[$0]!, $1) > (load[$1]!, $0) }) where load[sender]! > mean {
            let largestFirst = workers[Int(sender)].holding.sorted { (tasks[Int($0)].nbytes, $1) > (tasks[Int($1)].nbytes, $0) }
            for task in largestFirst where load[sender]! > mean {
                guard only?.contains(task) ?? true, tasks[Int(task)].state == .memory, pendingMoves[task] == nil, !isActor(task) else { continue }
                let nbytes = tasks[Int(task)].nbytes
                let holders = tasks[Int(task)].holders
                guard let recipient = candidates.filter({ !holders.contains($0) }).min(by: { (load[$0]!, $0) < (load[$1]!, $1) }),
                      load[recipient]! + nbytes <= mean else { continue }
                load[sender]! -= nbytes
                load[recipient]! += nbytes
                pendingMoves[task] = sender
                requests[recipient, default: [:]][tasks[Int(task)].key] = holderIDs(task)
            }
        }
        emitCopies(requests)
    }

    /// Tasks of functions named so make actors (`ActorType`).
    public static let actorFunctionPrefix = "actor/"

    func isActor(_ task: TaskSlot) -> Bool { functionName(task).hasPrefix(Self.actorFunctionPrefix) }

    /// Moves a rebalance asked for whose copy has not landed yet.
    public var movesInFlight: Int { pendingMoves.count }

    /// A copy made for a move landed on `recipient`: the sender's copy goes.
    mutating func moveLanded(_ task: TaskSlot, on recipient: WorkerSlot) {
        guard let sender = pendingMoves[task], sender != recipient else { return }
        pendingMoves[task] = nil
        guard tasks[Int(task)].holders.contains(sender), tasks[Int(task)].holders.count > 1 else { return }
        removeHolder(task, sender)
        emitFree(sender, tasks[Int(task)].key)
    }

    private mutating func emitCopies(_ requests: [WorkerSlot: [Key: [WorkerID]]]) {
        for (recipient, keys) in requests.sorted(by: { $0.key < $1.key }) {
            emit(.replicate(worker: workers[Int(recipient)].id, keys: keys), to: recipient)
        }
    }
}
