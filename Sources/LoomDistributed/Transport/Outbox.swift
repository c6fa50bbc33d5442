import NIOCore
import Synchronization

/// Messages waiting for one connection, sent in order and coalesced: whatever accumulates
/// while a frame is being written goes out together in the next frame, so a busy scheduler
/// sends few large frames instead of many small ones.
final class Outbox: Sendable {
    private let pending = Mutex<[Message]>([])
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init() {
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues messages without waiting; safe from any context.
    func post(_ messages: [Message]) {
        guard !messages.isEmpty else { return }
        pending.withLock { $0.append(contentsOf: messages) }
        signal.yield()
    }

    func post(_ message: Message) { post([message]) }

    func close() { signal.finish() }

    /// Writes queued messages until `close()`; returns when the outbox closes.
    func drain(into writer: NIOAsyncChannelOutboundWriter<[UInt8]>) async throws {
        for await _ in signals {
            let batch = pending.withLock { queued in
                defer { queued.removeAll(keepingCapacity: true) }
                return queued
            }
            if !batch.isEmpty { try await writer.send(batch) }
        }
    }
}
