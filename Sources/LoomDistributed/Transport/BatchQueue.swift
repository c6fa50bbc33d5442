import Synchronization

/// A queue that hands its consumer everything posted since the last look, as one batch: many
/// small posts cost the consumer one wake-up. Posting never waits and is safe from anywhere.
final class BatchQueue<Element: Sendable>: Sendable {
    private let pending = Mutex<[Element]>([])
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init() {
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func post(_ elements: [Element]) {
        guard !elements.isEmpty else { return }
        pending.withLock { $0.append(contentsOf: elements) }
        signal.yield()
    }

    func post(_ element: Element) {
        pending.withLock { $0.append(element) }
        signal.yield()
    }

    /// Ends `batches` once what was posted before has been handed out.
    func finish() { signal.finish() }

    /// Non-empty batches in posting order, until `finish()`. One consumer at a time.
    var batches: some AsyncSequence<[Element], Never> {
        signals.compactMap { [self] _ in
            let batch = takeAll()
            return batch.isEmpty ? nil : batch
        }
    }

    private func takeAll() -> [Element] {
        pending.withLock { queued in
            var taken: [Element] = []
            swap(&taken, &queued)
            return taken
        }
    }
}
