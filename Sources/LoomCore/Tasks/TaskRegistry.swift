import Synchronization

/// The task functions this process can run for others, by name.
///
/// Every process built from the same code registers the same functions, so a name sent over a
/// pipe or a socket means the same code at both ends. The fingerprint (names and types) lets
/// two processes check that before any task runs.
public final class TaskRegistry: Sendable {
    /// The registry `Loom.bootstrap(registering:)` fills and process workers consult.
    public static let shared = TaskRegistry()

    private let functions: Mutex<[String: AnyTaskFunction]>

    /// A registry holding only Loom's built-in functions.
    public init() {
        functions = Mutex(Dictionary(uniqueKeysWithValues: BuiltinFunctions.all.map { ($0.name, $0) }))
    }

    /// Adds functions; registering one twice is harmless, a different function under a taken
    /// name is refused with an error naming it.
    public func register(_ newFunctions: [any TaskFunctionRepresentable]) throws {
        try functions.withLock { table in
            for function in newFunctions.flatMap({ [$0.erased] + $0.companions }) {
                if let existing = table[function.name], existing !== function {
                    throw LoomError(
                        .registry,
                        "two different task functions are registered as '\(function.name)' (\(existing.signature) and \(function.signature)); give each a unique name",
                        function: function.name)
                }
                guard function.runsInOtherProcesses else {
                    throw LoomError(
                        .registry, "'\(function.name)' is a LocalFunction; only a TaskFunction (Codable arguments and result) can be registered",
                        function: function.name)
                }
                table[function.name] = function
            }
        }
    }

    public func function(named name: String) -> AnyTaskFunction? {
        functions.withLock { $0[name] }
    }

    /// Name → signature of every registered function.
    public var signatures: [String: String] {
        functions.withLock { $0.mapValues(\.signature) }
    }

    /// A short hash of every name and signature: equal fingerprints mean equal registries.
    public var fingerprint: String { Self.fingerprint(of: signatures) }

    public static func fingerprint(of signatures: [String: String]) -> String {
        var hash = StableHash()
        for (name, signature) in signatures.sorted(by: { $0.key < $1.key }) {
            hash.add(unprefixed: (name + "\u{0}" + signature + "\u{0}").utf8)
        }
        return String(hash.value, radix: 16)
    }

    /// Says how `other` (a worker's registry) differs from these `needed` functions, naming each
    /// function that is missing or has other types; nil when the worker has them all.
    public static func mismatch(needed: [String: String], available other: [String: String], where place: String) -> String? {
        var problems: [String] = []
        for (name, signature) in needed.sorted(by: { $0.key < $1.key }) {
            switch other[name] {
            case nil: problems.append("'\(name)' is not registered in \(place)")
            case let theirs? where theirs != signature:
                problems.append("'\(name)' differs: here \(signature), in \(place) \(theirs)")
            default: break
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}
