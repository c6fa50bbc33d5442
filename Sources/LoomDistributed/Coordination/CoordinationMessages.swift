import Foundation

/// What a client asks of the scheduler's `coordination` plugin, and what it answers. A wait
/// (`wait` seconds, at most `CoordinationPlugin.longestWait`) answers as soon as it can be met
/// or when it runs out; clients wait longer in several such requests, so a cancelled wait ends
/// between two and nothing is taken that nobody receives.
enum CoordinationRequest: Codable, Sendable {
    /// `keys`: the futures in the value, which the scheduler keeps while it is set.
    case variableSet(name: String, value: [UInt8], keys: [CodableKey])
    case variableGet(name: String, wait: Double)
    case variableDelete(name: String)
    case eventSet(name: String)
    case eventClear(name: String)
    case eventWait(name: String, wait: Double)
    case queueCreate(name: String, maxSize: Int)
    /// `keys`: the futures in the value, kept while it waits in the queue.
    case queuePut(name: String, value: [UInt8], wait: Double, keys: [CodableKey])
    /// The futures a get handed over (from a variable or a queue): the reader wants them itself
    /// now, so they need not be kept for it any more.
    case adopted(keys: [CodableKey])
    case queueGet(name: String, wait: Double)
    /// `count` values at once, oldest first, once there are that many (0: all there are now,
    /// without waiting); answered with `values`.
    case queueGetBatch(name: String, count: Int, wait: Double)
    case queueCount(name: String)
    case queueDelete(name: String)
    case semaphoreCreate(name: String, maxLeases: Int, leaseTimeout: Double)
    case semaphoreAcquire(name: String, lease: String, wait: Double)
    case semaphoreRelease(name: String, lease: String)
    case semaphoreRefresh(name: String, leases: [String])
    /// `subscriber` hears what is published on `topic` from now on; it goes when it has not
    /// been heard from (a receive or a refresh) for `timeout` seconds.
    case subscribe(topic: String, subscriber: String, timeout: Double)
    case unsubscribe(topic: String, subscriber: String)
    case subscriberRefresh(topic: String, subscriber: String)
    /// Answered with the subscribers it reached.
    case publish(topic: String, value: [UInt8])
    /// Everything published to the subscriber since its last receive, waiting for something.
    case receive(topic: String, subscriber: String, wait: Double)
}

enum CoordinationReply: Codable, Sendable {
    case done
    /// A value taken or read; nil when the wait ran out first.
    case value([UInt8]?)
    /// Whether it happened (put, acquired, set) before the wait ran out.
    case flag(Bool)
    case count(Int)
    /// Several values, oldest first (a receive's: none when the wait ran out).
    case values([[UInt8]])
}
