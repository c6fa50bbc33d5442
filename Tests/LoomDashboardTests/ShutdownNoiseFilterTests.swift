import Logging
import Synchronization
import Testing
@testable import LoomDashboard

@Suite struct ShutdownNoiseFilterTests {
    /// Records what reaches it.
    final class Recorder: Sendable {
        let messages = Mutex<[String]>([])
    }

    struct RecordingHandler: LogHandler {
        let recorder: Recorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { recorder.messages.withLock { $0.append(event.message.description) } }
    }

    @Test func onlyHummingbirdsShutdownRecordsAreLeftOut() {
        let recorder = Recorder()
        var logger = Logger(label: "test") { _ in RecordingHandler(recorder: recorder) }
        logger.logLevel = .warning
        let filtered = ShutdownNoiseFilter.filtering(logger)
        filtered.error("Waiting on child channel: CancellationError()")
        filtered.error("Server shutdown error: Already closed")
        filtered.error("Server channel error")
        filtered.info("below the level")
        #expect(recorder.messages.withLock { $0 } == ["Server channel error"])
        #expect(filtered.logLevel == .warning)
    }
}
