import LoomCore

/// A built-in plugin whose requests are answered on the scheduler as they arrive, instead of
/// each in a task of its own: requests of one connection are then handled in the order they
/// were sent, and one that can be answered at once costs no task and no hop (a queue's items,
/// a lock's round trips). `handle` must not block: a request that waits keeps `reply` and
/// calls it later, from anywhere, exactly once.
protocol InlineSchedulerPlugin: SchedulerPlugin {
    /// `client` sent `payload` (nil: not a client's connection).
    /// Returns what the answer changed in the keys the scheduler keeps.
    func handle(request payload: [UInt8], from client: ClientID?, reply: @escaping @Sendable (Result<[UInt8], any Error>) -> Void) -> KeptKeys
    /// A client's connection ended: replies to what it still waits for would be lost, so those
    /// requests go (a reconnected client asks again).
    func clientDisconnected(_ client: ClientID) -> KeptKeys
    /// A client is gone for good (it closed, its worker died, or it did not come back in time):
    /// what it held goes.
    func clientGone(_ client: ClientID)
}

/// Keys an inline plugin asks the scheduler to keep, one want each (futures put into a variable
/// or a queue), and to stop keeping (taken out, overwritten, deleted).
struct KeptKeys: Sendable, Equatable {
    var kept: [Key] = []
    var released: [Key] = []
}
