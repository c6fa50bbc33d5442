import NIOCore

/// Messages waiting for one connection, sent in order and coalesced, like Dask's `BatchedSend`:
/// a message posted to an idle outbox goes out at once; after each frame the outbox waits
/// `interval` and sends whatever accumulated meanwhile as one frame. A busy connection thus sends
/// a frame per interval instead of one per message — each small frame costs a system call and a
/// wake-up on both ends, which is most of the cost of a tiny task.
final class Outbox: Sendable {
    private let queue = BatchQueue<Message>()
    private let interval: Duration

    init(interval: Duration = .zero) {
        self.interval = interval
    }

    /// Queues messages without waiting; safe from any context.
    func post(_ messages: [Message]) { queue.post(messages) }

    func post(_ message: Message) { queue.post(message) }

    func close() { queue.finish() }

    /// Writes queued messages until `close()`; returns when the outbox closes.
    func drain(into writer: NIOAsyncChannelOutboundWriter<[UInt8]>) async throws {
        for await batch in queue.batches {
            try await writer.send(batch)
            if interval > .zero { try? await Task.sleep(for: interval) }
        }
    }
}

/// Dask batches every connection's messages at 2-5 ms. Measured here (tree-sum-distributed,
/// map-distributed): 0 and 0.25 ms leave most of the per-message cost, 1 and 2 ms remove it,
/// and 1 ms delays a dependent task least.
public let defaultBatchInterval: Duration = .milliseconds(1)
