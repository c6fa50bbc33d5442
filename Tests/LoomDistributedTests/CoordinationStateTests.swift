import Foundation
import LoomCore
@testable import LoomDistributed
import Synchronization
import Testing

/// The scheduler's coordination state on its own: requests in, answers out.
@Suite struct CoordinationStateTests {
    /// Answers come through a callback: this records them in order.
    final class Answers: Sendable {
        let received = Mutex<[CoordinationReply]>([])
        var reply: CoordinationState.Reply { { answer in self.received.withLock { $0.append(answer) } } }
        var all: [String] { received.withLock { $0.map { "\($0)" } } }
    }

    let producer = ClientID(1), consumer = ClientID(2), other = ClientID(3)

    @Test func aWaitingGetIsAnsweredByTheNextPutInOrder() throws {
        let state = CoordinationState()
        let (first, second, putter) = (Answers(), Answers(), Answers())
        try state.answer(.queueCreate(name: "q", maxSize: 0), from: producer, reply: putter.reply)
        try state.answer(.queueGet(name: "q", wait: 2), from: consumer, reply: first.reply)
        try state.answer(.queueGet(name: "q", wait: 2), from: other, reply: second.reply)
        #expect(first.all.isEmpty && second.all.isEmpty, "both wait")
        try state.answer(.queuePut(name: "q", value: [1], wait: 0, keys: []), from: producer, reply: putter.reply)
        #expect(first.all == ["\(CoordinationReply.value([1]))"], "the first waiter takes the first item")
        #expect(second.all.isEmpty)
        try state.answer(.queuePut(name: "q", value: [2], wait: 0, keys: []), from: producer, reply: putter.reply)
        #expect(second.all == ["\(CoordinationReply.value([2]))"])
    }

    @Test func aDisconnectedClientsWaitingGetTakesNothing() throws {
        let state = CoordinationState()
        let (gone, live, putter) = (Answers(), Answers(), Answers())
        try state.answer(.queueCreate(name: "q", maxSize: 0), from: producer, reply: putter.reply)
        try state.answer(.queueGet(name: "q", wait: 2), from: consumer, reply: gone.reply)
        state.clientDisconnected(consumer)
        try state.answer(.queuePut(name: "q", value: [7], wait: 0, keys: []), from: producer, reply: putter.reply)
        try state.answer(.queueGet(name: "q", wait: 0), from: other, reply: live.reply)
        #expect(gone.all.isEmpty, "its answer would have been lost on the way")
        #expect(live.all == ["\(CoordinationReply.value([7]))"])
    }

    @Test func aGoneClientsLeasesGoToTheNextWaiter() throws {
        let state = CoordinationState()
        let (holder, waiter) = (Answers(), Answers())
        try state.answer(.semaphoreCreate(name: "s", maxLeases: 1, leaseTimeout: 600), from: producer, reply: holder.reply)
        try state.answer(.semaphoreAcquire(name: "s", lease: "a", wait: 0), from: producer, reply: holder.reply)
        try state.answer(.semaphoreAcquire(name: "s", lease: "b", wait: 2), from: consumer, reply: waiter.reply)
        #expect(waiter.all.isEmpty, "the lease is held")
        state.clientGone(other)
        #expect(waiter.all.isEmpty, "another client's going frees nothing")
        state.clientGone(producer)
        #expect(waiter.all == ["\(CoordinationReply.flag(true))"])
    }

    @Test func aBatchGetTakesItsValuesAtOnceWhenThereAreThatMany() throws {
        let state = CoordinationState()
        let (putter, batch, all) = (Answers(), Answers(), Answers())
        try state.answer(.queueCreate(name: "q", maxSize: 0), from: producer, reply: putter.reply)
        try state.answer(.queueGetBatch(name: "q", count: 3, wait: 2), from: consumer, reply: batch.reply)
        for value in [1, 2] { try state.answer(.queuePut(name: "q", value: [UInt8(value)], wait: 0, keys: []), from: producer, reply: putter.reply) }
        #expect(batch.all.isEmpty, "two of three: it takes none yet")
        try state.answer(.queueGetBatch(name: "q", count: 0, wait: 0), from: other, reply: all.reply)
        #expect(all.all == ["\(CoordinationReply.values([[1], [2]]))"], "all there is now, at once")
        for value in [3, 4, 5, 6] { try state.answer(.queuePut(name: "q", value: [UInt8(value)], wait: 0, keys: []), from: producer, reply: putter.reply) }
        #expect(batch.all == ["\(CoordinationReply.values([[3], [4], [5]]))"])
        try state.answer(.queueCount(name: "q"), from: other, reply: all.reply)
        #expect(all.all.last == "\(CoordinationReply.count(1))")
    }

    @Test func futuresInAQueueAreKeptUntilTheTakerWantsThem() throws {
        let state = CoordinationState()
        let answers = Answers()
        let (a, b) = (CodableKey(Key("a")), CodableKey(Key("b")))
        try state.answer(.queueCreate(name: "q", maxSize: 0), from: producer, reply: answers.reply)
        #expect(try state.answer(.queuePut(name: "q", value: [1], wait: 0, keys: [a]), from: producer, reply: answers.reply)
            == KeptKeys(kept: [Key("a")]))
        try state.answer(.queuePut(name: "q", value: [2], wait: 0, keys: [b]), from: producer, reply: answers.reply)
        // Taken: still kept, handed over to the taker until it says it wants them.
        #expect(try state.answer(.queueGet(name: "q", wait: 0), from: consumer, reply: answers.reply) == KeptKeys())
        #expect(try state.answer(.adopted(keys: [a]), from: consumer, reply: answers.reply) == KeptKeys(released: [Key("a")]))
        #expect(try state.answer(.adopted(keys: [a]), from: other, reply: answers.reply) == KeptKeys(), "not handed to it")
        // A taker whose connection drops before it wants them: they go.
        try state.answer(.queueGet(name: "q", wait: 0), from: other, reply: answers.reply)
        #expect(state.clientDisconnected(other) == KeptKeys(released: [Key("b")]))
    }

    @Test func aVariablesFuturesAreKeptWhileItHoldsThem() throws {
        let state = CoordinationState()
        let answers = Answers()
        let (a, b) = (CodableKey(Key("a")), CodableKey(Key("b")))
        #expect(try state.answer(.variableSet(name: "v", value: [1], keys: [a]), from: producer, reply: answers.reply) == KeptKeys(kept: [Key("a")]))
        // Read: kept once more for the reader until it wants them, as the value may change meanwhile.
        #expect(try state.answer(.variableGet(name: "v", wait: 0), from: consumer, reply: answers.reply) == KeptKeys(kept: [Key("a")]))
        #expect(try state.answer(.variableSet(name: "v", value: [2], keys: [b]), from: producer, reply: answers.reply)
            == KeptKeys(kept: [Key("b")], released: [Key("a")]))
        #expect(try state.answer(.adopted(keys: [a]), from: consumer, reply: answers.reply) == KeptKeys(released: [Key("a")]))
        #expect(try state.answer(.variableDelete(name: "v"), from: producer, reply: answers.reply) == KeptKeys(released: [Key("b")]))
    }

    @Test func aFullQueuesPutWaitsForAGet() throws {
        let state = CoordinationState()
        let (putter, getter) = (Answers(), Answers())
        try state.answer(.queueCreate(name: "q", maxSize: 1), from: producer, reply: putter.reply)
        try state.answer(.queuePut(name: "q", value: [1], wait: 0, keys: []), from: producer, reply: putter.reply)
        try state.answer(.queuePut(name: "q", value: [2], wait: 2, keys: []), from: producer, reply: putter.reply)
        #expect(putter.all.count == 2, "the first put is in, the second waits")
        try state.answer(.queueGet(name: "q", wait: 0), from: consumer, reply: getter.reply)
        #expect(putter.all.last == "\(CoordinationReply.flag(true))", "the get made room")
        try state.answer(.queueGet(name: "q", wait: 0), from: consumer, reply: getter.reply)
        #expect(getter.all == ["\(CoordinationReply.value([1]))", "\(CoordinationReply.value([2]))"])
        let unknown = #expect(throws: LoomError.self) { try state.answer(.queueGet(name: "nope", wait: 0), from: consumer, reply: getter.reply) }
        #expect(unknown?.message.contains("no queue named 'nope'") == true)
    }
}
