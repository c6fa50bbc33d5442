/// An error Loom reports to its user: what went wrong, where, and what to do about it.
///
/// Like ServiceLifecycle's `ServiceGroupError`, the code is an extensible struct so callers can
/// match on the kind of failure while new kinds can be added without breaking them.
public struct LoomError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A task threw; `key` and `function` say which (and `remoteType`, on a cluster, the
        /// type of the error it threw).
        public static let taskFailed = Code("task failed")
        /// The workers running a task kept dying (`allowed-failures` of them), Dask's
        /// `KilledWorker`: the task may be crashing them.
        public static let killedWorker = Code("KilledWorker")
        /// A graph refers to keys it does not contain.
        public static let missingDependency = Code("missing dependency")
        /// A graph's dependencies go round in a circle.
        public static let cycle = Code("cycle")
        /// Two tasks in one graph have the same key.
        public static let duplicateKey = Code("duplicate key")
        /// A value did not have the type a function expected.
        public static let typeMismatch = Code("type mismatch")
        /// A registry refused a function, or a worker lacks one.
        public static let registry = Code("registry")
        /// A worker process died or broke its protocol.
        public static let workerDied = Code("worker died")
        /// The scheduler cannot run this graph (e.g. a plain closure on the process scheduler).
        public static let unsupported = Code("unsupported")
        /// A configuration file or variable holds a bad entry.
        public static let configuration = Code("configuration")
        /// The computation was cancelled.
        public static let cancelled = Code("cancelled")
        /// A scheduler or worker plugin failed, or the one asked for is not there.
        public static let plugin = Code("plugin")
        /// A wait ran out of time before what it waited for happened.
        public static let timeout = Code("timeout")
        /// An argument cannot be used as given: shapes that do not match, chunks that do not
        /// add up, an axis or slice out of range. The message names the values and the operation.
        public static let invalidArgument = Code("invalid argument")
    }

    public let code: Code
    public let message: String
    /// The task at fault, when there is one.
    public let key: Key?
    /// The task function at fault, when there is one.
    public let function: String?
    public let underlying: (any Error)?
    /// The type of the error a task threw on another process (`ParseError`, `DecodingError`,
    /// `KilledWorker`, `LoomError`), which cannot come back as itself; `nil` for local errors.
    public let remoteType: String?

    public init(_ code: Code, _ message: String, key: Key? = nil, function: String? = nil, underlying: (any Error)? = nil,
                remoteType: String? = nil) {
        self.code = code
        self.message = message
        self.key = key
        self.function = function
        self.underlying = underlying
        self.remoteType = remoteType
    }

    /// The `remoteType` of a task whose workers kept dying.
    public static let killedWorkerType = "KilledWorker"

    /// A task's failure on a worker, as its client sees it: `.killedWorker` when its workers
    /// kept dying, `.taskFailed` with the thrown error's type otherwise.
    public static func remote(key: Key, type: String, message: String, function: String? = nil) -> LoomError {
        LoomError(type == killedWorkerType ? .killedWorker : .taskFailed, message, key: key, function: function, remoteType: type)
    }

    public var description: String {
        switch (key, function) {
        case let (key?, function?): "\(code) in task \(key) (function '\(function)'): \(message)"
        case let (key?, nil): "\(code) in task \(key): \(message)"
        default: "\(code): \(message)"
        }
    }
}
