import LoomCore

// The scheduler's internal records. Tasks and workers live in arrays and refer to each other by
// slot (`Int32`), so a transition touches no hash table and a task costs a few hundred bytes.

typealias TaskSlot = Int32
typealias WorkerSlot = Int32

struct TaskRecord: Sendable {
    // Eight-byte fields first, then four-byte ones, so the record packs tightly.
    var key: Key
    /// The task as its client sent it, forwarded to the worker that runs it and kept to
    /// compute the value again; `nil` for scattered data (no recipe) and for free slots.
    var recipe: WireTask?
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

    init(key: Key, recipe: WireTask?, function: Int32, priority: TaskPriority, state: TaskState,
         retries: Int32, constraint: Int32) {
        self.key = key
        self.recipe = recipe
        self.dependencies = DependencyList()
        self.dependents = SlotList()
        self.priority = priority
        self.function = function
        self.retries = retries
        self.constraint = constraint
        self.state = state
    }

    static func free() -> TaskRecord {
        TaskRecord(key: "", recipe: nil, function: 0, priority: TaskPriority(user: 0, generation: 0, order: 0),
                   state: .forgotten, retries: 0, constraint: -1)
    }

    /// Wanted by a client, or by a dependent that will run.
    var isNeeded: Bool { wantCount > 0 || waiters > 0 }
}

/// A task's dependencies, fixed at submission: up to two live inline (most tasks have no more),
/// saving an allocation per task.
struct DependencyList: Sendable, RandomAccessCollection {
    /// All of them, when there are more than two.
    private var many: [TaskSlot] = []
    private var first: TaskSlot = -1
    private var second: TaskSlot = -1

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
