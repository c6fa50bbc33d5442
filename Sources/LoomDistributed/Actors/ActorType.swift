import LoomCore
import LoomRuntime

/// A class whose instance lives on one worker and answers method calls there, one at a time in
/// the order they came (Dask's actors): state that stays put instead of travelling with tasks.
///
/// ```swift
/// final class Counter {
///     var count = 0
///     init(start: Int) { count = start }
///     static let add = ActorMethod("counter.add") { (counter: Counter, n: Int) in
///         counter.count += n
///         return counter.count
///     }
/// }
/// enum Actors {
///     static let counter = ActorType("counter", methods: [Counter.add]) { (start: Int) in Counter(start: start) }
/// }
/// try await Loom.bootstrap(registering: Actors.counter)   // with its methods
/// let counter = try await client.submitActor(Actors.counter, 10)
/// let now = try await counter.call(Counter.add, 5)          // 15, computed on the worker
/// ```
/// Registered like a task function (every process built from the same code registers it);
/// making one is a task, so the scheduler places it (`workers:` restricts where) and the handle
/// keeps it: the instance goes when the last handle does, or with its worker (a call then
/// fails with `.workerDied`).
public struct ActorType<Instance: AnyObject, each Argument: Codable & Sendable>: TaskFunctionRepresentable {
    public let name: String
    /// The task that makes the instance, kept on its worker under the task's key.
    let constructor: TaskFunction<repeat each Argument, Bool>
    public let companions: [AnyTaskFunction]
    public var erased: AnyTaskFunction { constructor.erased }

    /// `methods` are registered with it; `make` builds the instance on the worker.
    public init(_ name: String, methods: [any TaskFunctionRepresentable] = [],
                _ make: @escaping @Sendable (repeat each Argument) async throws -> Instance) {
        self.name = name
        companions = methods.flatMap { [$0.erased] + $0.companions }
        constructor = TaskFunction(SchedulerState.actorFunctionPrefix + name, tupled: { arguments in
            guard let context = TaskContext.current else {
                throw LoomError(.unsupported, "actor '\(name)' is made on a cluster worker, with client.submitActor")
            }
            ActorInstances.shared.keep(try await make(repeat each arguments), as: context.key, type: name)
            return true
        })
    }
}

/// A method of an actor, called on the worker holding the instance, after the calls on it that
/// came before. Registered like a task function (or with its `ActorType`'s `methods:`).
public struct ActorMethod<Instance: AnyObject, each Argument: Codable & Sendable, Result: Codable & Sendable>: TaskFunctionRepresentable {
    /// Run by the instance's mailbox, which says which instance (`ActorInstances.calling`).
    let function: TaskFunction<repeat each Argument, Result>
    public var erased: AnyTaskFunction { function.erased }
    public var name: String { function.name }

    public init(_ name: String, _ body: @escaping @Sendable (Instance, repeat each Argument) async throws -> Result) {
        function = TaskFunction("actor-method/\(name)", tupled: { arguments in
            guard let actor = ActorInstances.calling else {
                throw LoomError(.unsupported, "actor method '\(name)' runs on its actor, through ActorHandle.call")
            }
            let instance: Instance = try ActorInstances.shared.instance(actor)
            return try await body(instance, repeat each arguments)
        })
    }
}
