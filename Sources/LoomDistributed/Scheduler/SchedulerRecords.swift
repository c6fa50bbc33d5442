import Foundation

// The scheduler's internal records. Tasks and workers live in arrays and refer to each other by
// slot (`Int32`), so a transition touches no hash table and a task costs a few hundred bytes.

typealias TaskSlot = Int32
typealias WorkerSlot = Int32

struct TaskRecord<Payload: Sendable>: Sendable {
    // Eight-byte fields first, then four-byte ones, so the record packs tightly.
    var key: String
    /// `nil` for scattered data (no recipe) and for free slots.
    var payload: Payload?
    /// Fixed at submission, deduplicated.
    var dependencies: DependencyList
    var dependents: SlotList
    var priority: TaskPriority
    var holders = HolderSet()
    var nbytes: Int = 0
    /// The expected duration added to `processingOn`'s occupancy.
    var cost: Double = 0
    var runID: Int = 0
    var function: Int32
    /// While waiting: how many dependencies are not in memory.
    var waitingOn: Int32 = 0
    /// How many dependents are in a state that needs this task's value.
    var waiters: Int32 = 0
    /// Wants over all clients (each client's count is in its `ClientRecord`).
    var wantCount: Int32 = 0
    var processingOn: WorkerSlot = -1
    var retries: Int32
    /// How many workers died while running it.
    var suspicious: Int32 = 0
    /// Index into `SchedulerState.constraints`, or -1 for an unconstrained task.
    var constraint: Int32
    var state: TaskState

    init(key: String, payload: Payload?, function: Int32, priority: TaskPriority, state: TaskState,
         retries: Int32, constraint: Int32) {
        self.key = key
        self.payload = payload
        self.dependencies = DependencyList()
        self.dependents = SlotList()
        self.priority = priority
        self.function = function
        self.retries = retries
        self.constraint = constraint
        self.state = state
    }

    static func free() -> TaskRecord {
        TaskRecord(key: "", payload: nil, function: 0, priority: TaskPriority(user: 0, generation: 0, order: 0),
                   state: .forgotten, retries: 0, constraint: -1)
    }

    /// Wanted by a client, or by a dependent that will run.
    var isNeeded: Bool { wantCount > 0 || waiters > 0 }
}

/// A task's dependencies, fixed at submission: up to two live inline (most tasks have no more),
/// saving an allocation per task.
struct DependencyList: Sendable, RandomAccessCollection {
    private var first: TaskSlot = -1
    private var second: TaskSlot = -1
    /// All of them, when there are more than two.
    private var many: [TaskSlot] = []

    init() {}

    init(_ slots: [TaskSlot]) {
        switch slots.count {
        case 0: break
        case 1: first = slots[0]
        case 2: (first, second) = (slots[0], slots[1])
        default: many = slots
        }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { many.isEmpty ? (first < 0 ? 0 : second < 0 ? 1 : 2) : many.count }

    subscript(position: Int) -> TaskSlot {
        many.isEmpty ? (position == 0 ? first : second) : many[position]
    }
}

/// The workers holding one value: almost always one, so the first lives inline.
struct HolderSet: Sendable, Sequence {
    private var first: WorkerSlot = -1
    private var rest: [WorkerSlot] = []

    var isEmpty: Bool { first < 0 }
    var count: Int { first < 0 ? 0 : 1 + rest.count }

    func contains(_ worker: WorkerSlot) -> Bool {
        first == worker || (first >= 0 && !rest.isEmpty && rest.contains(worker))
    }

    /// Returns whether it was added.
    @discardableResult
    mutating func insert(_ worker: WorkerSlot) -> Bool {
        if contains(worker) { return false }
        if first < 0 { first = worker } else { rest.append(worker) }
        return true
    }

    /// Returns whether it was there.
    @discardableResult
    mutating func remove(_ worker: WorkerSlot) -> Bool {
        if first == worker {
            first = rest.isEmpty ? -1 : rest.removeFirst()
            return true
        }
        guard let index = rest.firstIndex(of: worker) else { return false }
        rest.remove(at: index)
        return true
    }

    mutating func removeAll() {
        first = -1
        rest = []
    }

    struct Iterator: IteratorProtocol {
        fileprivate let first: WorkerSlot
        fileprivate let rest: [WorkerSlot]
        fileprivate var index = -1

        mutating func next() -> WorkerSlot? {
            defer { index += 1 }
            if index < 0 { return first < 0 ? nil : first }
            return index < rest.count ? rest[index] : nil
        }
    }

    func makeIterator() -> Iterator { Iterator(first: first, rest: rest) }
}

/// A task's dependents: usually one, kept inline; a small array beyond that, turning into a
/// set when large so that forgetting one of a million dependents of a shared key stays O(1).
struct SlotList: Sendable, Sequence {
    private enum Storage: Sendable {
        case few([TaskSlot])
        case many(Set<TaskSlot>)
    }

    private static let setThreshold = 32
    private var first: TaskSlot = -1
    private var rest: Storage = .few([])

    var isEmpty: Bool { first < 0 }

    var count: Int {
        guard first >= 0 else { return 0 }
        switch rest {
        case .few(let slots): return 1 + slots.count
        case .many(let slots): return 1 + slots.count
        }
    }

    /// The caller guarantees `slot` is not in the list yet.
    mutating func insert(_ slot: TaskSlot) {
        guard first >= 0 else {
            first = slot
            return
        }
        switch rest {
        case .few(var slots):
            rest = .few([])
            if slots.count < Self.setThreshold {
                slots.append(slot)
                rest = .few(slots)
            } else {
                var set = Set(slots)
                set.insert(slot)
                rest = .many(set)
            }
        case .many(var set):
            rest = .few([])
            set.insert(slot)
            rest = .many(set)
        }
    }

    mutating func remove(_ slot: TaskSlot) {
        if slot == first {
            first = popRest() ?? -1
            return
        }
        switch rest {
        case .few(var slots):
            guard let index = slots.firstIndex(of: slot) else { return }
            rest = .few([])
            slots.swapAt(index, slots.count - 1)
            slots.removeLast()
            rest = .few(slots)
        case .many(var set):
            rest = .few([])
            set.remove(slot)
            rest = .many(set)
        }
    }

    private mutating func popRest() -> TaskSlot? {
        switch rest {
        case .few(var slots):
            guard !slots.isEmpty else { return nil }
            rest = .few([])
            let last = slots.removeLast()
            rest = .few(slots)
            return last
        case .many(var set):
            rest = .few([])
            let any = set.popFirst()
            rest = .many(set)
            return any
        }
    }

    struct Iterator: IteratorProtocol {
        fileprivate enum Base {
            case few(IndexingIterator<[TaskSlot]>)
            case many(Set<TaskSlot>.Iterator)
        }
        fileprivate var first: TaskSlot
        fileprivate var base: Base

        mutating func next() -> TaskSlot? {
            if first >= 0 {
                defer { first = -1 }
                return first
            }
            switch base {
            case .few(var iterator):
                let next = iterator.next()
                base = .few(iterator)
                return next
            case .many(var iterator):
                let next = iterator.next()
                base = .many(iterator)
                return next
            }
        }
    }

    func makeIterator() -> Iterator {
        switch rest {
        case .few(let slots): Iterator(first: first, base: .few(slots.makeIterator()))
        case .many(let slots): Iterator(first: first, base: .many(slots.makeIterator()))
        }
    }
}

struct WorkerRecord: Sendable {
    var spec: WorkerSpec
    var live: Bool
    var paused = false
    /// `ceil(nthreads × saturation)`, at least 1; `Int.max` when queueing is off.
    var slots: Int
    var processing: Set<TaskSlot> = []
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
    var isSaturated: Bool { processing.count >= slots }
    /// Whether it can take another task now.
    var isRunning: Bool { live && !paused }
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
    var resources: [String: Double]

    var isEmpty: Bool { allowedWorkers.isEmpty && resources.isEmpty }

    func allows(_ worker: WorkerSpec) -> Bool {
        if !allowedWorkers.isEmpty, !allowedWorkers.contains(worker.name), !allowedWorkers.contains(worker.address) {
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
