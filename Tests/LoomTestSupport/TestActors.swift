import Foundation
import Loom

/// An actor for the tests: a running total, and what each call saw, in the order calls ran.
public final class Tally {
    var total: Int
    var seen: [Int] = []

    init(start: Int) { total = start }

    public static let add = ActorMethod("tally.add") { (tally: Tally, amount: Int) -> Int in
        // Yields halfway: calls that overlapped would see each other's half-done update here.
        let before = tally.total
        await Task.yield()
        tally.total = before + amount
        tally.seen.append(amount)
        return tally.total
    }
    public static let seenSoFar = ActorMethod("tally.seen") { (tally: Tally) -> [Int] in tally.seen }
    public static let where_ = ActorMethod("tally.where") { (_: Tally) -> Int32 in getpid() }
    public static let fail = ActorMethod("tally.fail") { (tally: Tally, why: String) -> Int in
        throw TestFailure(message: "tally at \(tally.total): \(why)")
    }
}

public enum TestActors {
    public static let tally = ActorType("tally", methods: [Tally.add, Tally.seenSoFar, Tally.where_, Tally.fail]) { (start: Int) in
        Tally(start: start)
    }
}
