import Logging

/// Hummingbird's log records, less the two its Application writes at every graceful shutdown
/// that finds a connection open: it runs the server beside a date cache in a ServiceGroup that
/// cancels the server once the cache has ended, so the server reports "Waiting on child
/// channel: CancellationError()" and "Server shutdown error: Already closed" as errors although
/// nothing went wrong. Every other record (a failing accept, say) passes.
struct ShutdownNoiseFilter: LogHandler {
    var inner: any LogHandler

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    static let expected = ["Waiting on child channel: CancellationError", "Server shutdown error: Already closed"]

    func log(event: LogEvent) {
        let text = event.message.description
        if Self.expected.contains(where: text.hasPrefix) { return }
        inner.log(event: event)
    }

    /// `logger` with these records left out.
    static func filtering(_ logger: Logger) -> Logger {
        Logger(label: logger.label) { _ in ShutdownNoiseFilter(inner: logger.handler) }
    }
}
