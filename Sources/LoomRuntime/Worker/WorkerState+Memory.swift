import LoomCore

/// A worker's memory thresholds in bytes, from its memory limit and the configured fractions;
/// `nil` where there is no limit or the fraction is off.
package struct WorkerMemoryThresholds: Equatable, Sendable {
    /// Held values above this spill, least recently used first.
    var target: Int?
    /// Process memory above this spills held values down to `target`.
    var spill: Int?
    /// Process memory above this pauses the worker.
    var pause: Int?

    package init(target: Int? = nil, spill: Int? = nil, pause: Int? = nil) {
        self.target = target
        self.spill = spill
        self.pause = pause
    }
}

/// A task argument as the task threads get it.
package enum StoredArgument: Equatable {
    case bytes([UInt8])
    /// A spilled value: the server reads it back (then calls `loaded`).
    case spilled(Key)
    /// A list some of whose items are spilled, encoded once they are read back.
    case list([StoredArgument])
}

// Memory: what to spill and when to pause, from the values held and the process's memory.

extension WorkerState {
    /// The process's resident memory now. Above the spill threshold, least recently used values
    /// spill until held memory is at the target (what they free counts at once); above the
    /// pause threshold the worker pauses, and resumes once under it.
    package mutating func memorySampled(processBytes: UInt64) -> [Effect] {
        var effects: [Effect] = []
        var process = Int(clamping: processBytes)
        if let spillAt = memory.spill, process > spillAt {
            let spills = values.spill(atLeast: process - (memory.target ?? spillAt))
            process -= spills.reduce(0) { $0 + $1.bytes.count }
            effects += spills.map { .spill(key: $0.key, bytes: $0.bytes) }
        }
        let pausing = memory.pause.map { process > $0 } ?? false
        if pausing != paused {
            effects.append(.pausedChanged(pausing))
            effects += setPaused(pausing)
        }
        return effects
    }

    /// A spilled value the server read back (for a task or a peer): it is in memory again.
    package mutating func loaded(_ key: Key, _ bytes: [UInt8]) -> [Effect] {
        let (spills, wasSpilled) = values.loaded(key, bytes)
        guard wasSpilled else { return [] }
        return [.deleteSpilled(key: key)] + spills.map { .spill(key: $0.key, bytes: $0.bytes) }
    }

    /// Writing a spill file failed (disk full, say): the value stays in memory, and so does
    /// everything from now on (`values.spillProblem` says why).
    package mutating func spillFailed(_ key: Key, _ bytes: [UInt8], reason: String) {
        values.spillFailed(key, bytes, reason: reason)
    }

    /// Holds a value, noting the spill-file work it causes (returned with the next effects).
    mutating func keep(_ key: Key, _ bytes: [UInt8]) {
        let (spills, spilledBefore) = values.store(key, bytes)
        if spilledBefore { fileWork.append(.deleteSpilled(key: key)) }
        fileWork += spills.map { .spill(key: $0.key, bytes: $0.bytes) }
    }

    /// Drops a value, noting its spill file's deletion if it had one.
    mutating func drop(_ key: Key) {
        if values.remove(key) { fileWork.append(.deleteSpilled(key: key)) }
    }
}

extension WorkerState.Effect {
    /// Whether this is the worker pausing or resuming.
    package var changesPause: Bool { if case .pausedChanged = self { true } else { false } }
}
