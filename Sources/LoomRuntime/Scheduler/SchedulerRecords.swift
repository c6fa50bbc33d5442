import LoomCore

// Records of workers, clients, functions and constraints.

struct WorkerRecord: Sendable {
    var spec: WorkerSpec
    var live: Bool
    var paused = false
    /// Leaving on purpose: it takes no new work, and its only copies are copied elsewhere first.
    var retiring = false
    /// Suspicious tasks (running when workers died) processing here: such a task runs alone,
    /// so if this worker dies too the blame is certain (see `SchedulerState+Workers`).
    var suspects = 0
    /// `ceil(nthreads × saturation)`, at least 1; `Int.max` when queueing is off.
    var slots: Int
    var processing: Set<TaskSlot> = []
    /// Processing tasks that gave their thread back while they wait on other tasks (Dask's
    /// long-running, after `secede`): they take no slot and count no occupancy.
    var longRunning: Set<TaskSlot> = []
    /// Sum of the expected durations of `processing`, in seconds.
    var occupancy: Double = 0
    var holding: Set<TaskSlot> = []
    var nbytes: Int = 0
    /// Resources not reserved by processing tasks.
    var available: [String: Double]
    /// In-flight steals from this worker, and their expected durations.
    var stealsOut = 0
    var stealsOutCost: Double = 0
    /// In-flight steals to this worker, and their expected durations.
    var stealsIn = 0
    var stealsInCost: Double = 0

    var id: WorkerID { spec.id }
    var nthreads: Int { max(spec.nthreads, 1) }
    /// Processing tasks that hold a thread.
    var running: Int { processing.count - longRunning.count }
    var isSaturated: Bool { running >= slots }
    /// Whether it can take another task now.
    var isRunning: Bool { live && acceptsWork && suspects == 0 }
    /// Whether new tasks may go to it.
    var acceptsWork: Bool { !paused && !retiring }
}

struct ClientRecord: Sendable {
    /// How many times the client wants each key.
    var wants: [TaskSlot: Int32] = [:]
}

/// Durations of one function, for occupancy estimates.
struct FunctionStats: Sendable {
    var name: String
    var samples = 0
    var meanDuration: Double = 0
}

/// Restrictions and resources shared by many tasks; interned so a task stores one index.
struct TaskConstraints: Sendable, Hashable {
    var allowedWorkers: Set<String>
    /// `allowedWorkers` are preferred, not required (Dask's loose restrictions).
    var loose = false
    var resources: [String: Double]

    var isEmpty: Bool { allowedWorkers.isEmpty && resources.isEmpty }

    /// Whether `worker` may run the task; `strictly` false asks about resources alone.
    func allows(_ worker: WorkerSpec, strictly: Bool = true) -> Bool {
        if strictly, !allowedWorkers.isEmpty, !allowedWorkers.contains(worker.name), !allowedWorkers.contains(worker.address) {
            return false
        }
        for (name, amount) in resources where worker.resources[name, default: 0] < amount { return false }
        return true
    }

    func fits(_ available: [String: Double]) -> Bool {
        for (name, amount) in resources where available[name, default: 0] < amount { return false }
        return true
    }
}

struct InFlightSteal: Sendable {
    var victim: WorkerSlot
    /// -1 once the thief has left.
    var thief: WorkerSlot
    var runID: Int
    var cost: Double
}
