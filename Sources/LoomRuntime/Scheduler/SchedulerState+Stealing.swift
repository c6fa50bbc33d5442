import LoomCore

// Work stealing (Dask's `WorkStealing.balance`), run on each tick. Idle workers (thieves) take
// not-yet-started tasks from workers with more tasks than threads (victims) when it pays: the
// thief must be expected to finish the task, data transfer included, before the victim would
// start it,
//     thief load + transfer + duration  <=  victim load - (victim's transfer + duration) / 2,
// loads being occupancy per thread. Tasks shorter than `minimumStealDuration`, or whose transfer
// costs more than `maximumStealCostRatio` times their run, stay. The victim is asked first
// (`stealRequest`), since only it knows whether the task started; the steal happens on
// `stealResponse(accepted: true)`.

extension SchedulerState {
    /// How many tasks a thief may hold, counting steals on their way to it.
    func stealTarget(_ worker: WorkerSlot) -> Int {
        let slot = Int(worker)
        return configuration.workerSaturation.isFinite ? max(workers[slot].slots, workers[slot].nthreads) : workers[slot].nthreads
    }

    /// Expected seconds of work per thread, counting steals on their way in and out.
    func load(_ worker: WorkerSlot) -> Double {
        let slot = Int(worker)
        let seconds = workers[slot].occupancy + workers[slot].stealsInCost - workers[slot].stealsOutCost
        return max(seconds, 0) / Double(workers[slot].nthreads)
    }

    mutating func balance() {
        guard configuration.workStealing, activeWorkers.count > 1 else { return }
        var thieves = activeWorkers.filter { worker in
            workers[Int(worker)].isRunning
                && workers[Int(worker)].running + workers[Int(worker)].stealsIn < stealTarget(worker)
        }
        var victims = activeWorkers.filter { worker in
            workers[Int(worker)].running - workers[Int(worker)].stealsOut > workers[Int(worker)].nthreads
        }
        guard !thieves.isEmpty, !victims.isEmpty else { return }

        var loads = [Double](repeating: 0, count: workers.count)
        for worker in activeWorkers { loads[Int(worker)] = load(worker) }
        victims.sort { loads[Int($0)] != loads[Int($1)] ? loads[Int($0)] > loads[Int($1)] : workers[Int($0)].id < workers[Int($1)].id }
        let bandwidth = configuration.bandwidth

        for victim in victims {
            let victimIndex = Int(victim)
            var spare = workers[victimIndex].running - workers[victimIndex].stealsOut - workers[victimIndex].nthreads
            // The tasks that would start last are the likeliest not to have started.
            var candidates: [TaskSlot] = []
            for task in workers[victimIndex].processing.prefix(configuration.stealScanLimit)
            where steals[task] == nil && !workers[victimIndex].longRunning.contains(task) && tasks[Int(task)].cost >= configuration.minimumStealDuration && tasks[Int(task)].suspicious == 0 {
                candidates.append(task)
            }
            candidates.sort { lhs, rhs in
                let left = tasks[Int(lhs)].priority, right = tasks[Int(rhs)].priority
                return left != right ? right < left : rhs < lhs
            }
            for task in candidates {
                guard spare > 0, !thieves.isEmpty else { break }
                let index = Int(task)
                let duration = tasks[index].cost
                let constraint = tasks[index].constraint
                var thief: WorkerSlot = -1
                var thiefCost = Double.infinity
                for candidate in thieves where allows(constraint, candidate) && fitsNow(constraint, candidate) {
                    let cost = loads[Int(candidate)] + Double(missingBytes(task, on: candidate)) / bandwidth
                    if thief < 0 || cost < thiefCost || (cost == thiefCost && workers[Int(candidate)].id < workers[Int(thief)].id) {
                        thief = candidate
                        thiefCost = cost
                    }
                }
                guard thief >= 0 else { continue }
                let transfer = thiefCost - loads[Int(thief)] + configuration.stealLatency
                let victimTransfer = Double(missingBytes(task, on: victim)) / bandwidth
                guard transfer <= duration * configuration.maximumStealCostRatio,
                      loads[Int(thief)] + transfer + duration <= loads[victimIndex] - (victimTransfer + duration) / 2
                else { continue }

                steals[task] = InFlightSteal(victim: victim, thief: thief, runID: tasks[index].runID, cost: duration)
                workers[victimIndex].stealsOut += 1
                workers[victimIndex].stealsOutCost += duration
                workers[Int(thief)].stealsIn += 1
                workers[Int(thief)].stealsInCost += duration
                emit(.stealRequest(worker: workers[victimIndex].id, key: tasks[index].key, runID: tasks[index].runID), to: victim)
                loads[Int(thief)] += duration / Double(workers[Int(thief)].nthreads)
                loads[victimIndex] -= duration / Double(workers[victimIndex].nthreads)
                spare -= 1
                if workers[Int(thief)].processing.count + workers[Int(thief)].stealsIn >= stealTarget(thief) {
                    thieves.removeAll { $0 == thief }
                }
            }
        }
    }

    /// Undoes a steal's bookkeeping once it is answered or moot.
    mutating func endSteal(_ steal: InFlightSteal) {
        let victim = Int(steal.victim)
        workers[victim].stealsOut -= 1
        workers[victim].stealsOutCost = max(workers[victim].stealsOutCost - steal.cost, 0)
        if steal.thief >= 0 {
            let thief = Int(steal.thief)
            workers[thief].stealsIn -= 1
            workers[thief].stealsInCost = max(workers[thief].stealsInCost - steal.cost, 0)
        }
    }

    mutating func stealResponse(worker id: WorkerID, key: Key, runID: Int, accepted: Bool) {
        guard let victim = workerSlots[id], let task = taskSlots[key], let steal = steals[task],
              steal.victim == victim, steal.runID == runID else { return }
        steals[task] = nil
        endSteal(steal)
        let index = Int(task)
        guard accepted, tasks[index].state == .processing, tasks[index].processingOn == victim,
              tasks[index].runID == runID else { return }
        removeFromProcessing(task)
        setState(task, .waiting)
        tasks[index].waitingOn = 0
        let thief = steal.thief, constraint = tasks[index].constraint
        if thief >= 0, workers[Int(thief)].isRunning, allows(constraint, thief), fitsNow(constraint, thief) {
            assign(task, to: thief)
        } else {
            readyTasks.append(task)
        }
    }
}
