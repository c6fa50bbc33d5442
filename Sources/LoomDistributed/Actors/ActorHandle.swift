import Foundation
import LoomCore

/// A client's handle on an actor instance living on one worker: `call` runs a method there,
/// straight to that worker, after the calls that came before it. The instance lives while a
/// handle on it does (the handle holds the future of the task that made it).
public final class ActorHandle<Instance: AnyObject>: Sendable {
    /// The key of the task that made the instance.
    public var key: Key { made.key }
    /// The worker holding the instance.
    public let worker: String
    private let made: Future<Bool>
    private let client: Client

    init(made: Future<Bool>, worker: String, client: Client) {
        self.made = made
        self.worker = worker
        self.client = client
    }

    /// Calls `method` on the instance, on its worker; throws the method's error, or
    /// `.workerDied` if the worker holding the instance is gone (the instance with it).
    public func call<each Argument: Codable & Sendable, Result: Codable & Sendable>(
        _ method: ActorMethod<Instance, repeat each Argument, Result>, _ arguments: repeat each Argument
    ) async throws -> Result {
        var encoded: [[UInt8]] = []
        for argument in repeat each arguments { encoded.append(try ValueCodec.encode(argument)) }
        let (key, name, arguments) = (key, method.name, encoded)
        let reply: Message
        do {
            reply = try await client.peers.request({ .actorCall(request: $0, actor: key, method: name, arguments: arguments) }, to: worker)
        } catch {
            throw LoomError(.workerDied, "actor '\(key)' lives on worker \(worker), which did not answer: \(error)", function: name, underlying: error)
        }
        guard case .runResult(_, let value, let error) = reply else {
            throw TransportError("worker \(worker) answered an actor call with something else")
        }
        if let error { throw LoomError(.taskFailed, "actor '\(key)' on worker \(worker): \(error)", function: name) }
        return try ValueCodec.decode(Result.self, from: value)
    }
}

extension Client {
    /// Makes an instance of `type` on a worker (one of `workers`, if given) and returns a handle
    /// on it (Dask's `submit(…, actor=True)`): its methods then run there, in order.
    public func submitActor<Instance, each Argument: Codable & Sendable & TaskArgument>(
        _ type: ActorType<Instance, repeat each Argument>, _ arguments: repeat each Argument, workers: [String] = []
    ) async throws -> ActorHandle<Instance> where repeat (each Argument).Resolved == each Argument {
        let made = try await submit(type.constructor, repeat each arguments, key: "actor-\(type.name)-\(UUID().uuidString)", workers: workers)
        _ = try await made.result()
        guard let worker = try await whoHas([made])[made.key]?.first else {
            throw LoomError(.workerDied, "the worker that made actor '\(made.key)' is gone")
        }
        return ActorHandle(made: made, worker: worker, client: self)
    }
}
