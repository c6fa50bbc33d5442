import Foundation
import Logging
import Synchronization

extension LogRecord {
    /// `2026-11-27T03:10:00.123Z warning loom.worker: message`.
    public var line: String {
        let date = Date(timeIntervalSince1970: time).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        return "\(date) \(level) \(label): \(message)"
    }
}

/// The recent log records of this process (the last `capacity`), kept for diagnostics while
/// they are also printed as usual.
public final class LogBuffer: Sendable {
    public static let shared = LogBuffer(capacity: 10_000)

    private let records: Mutex<(items: [LogRecord], next: Int)>
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        records = Mutex(([], 0))
    }

    public func append(_ record: LogRecord) {
        records.withLock { state in
            if state.items.count < capacity {
                state.items.append(record)
            } else {
                state.items[state.next] = record
                state.next = (state.next + 1) % capacity
            }
        }
    }

    /// The last `count` records, oldest first.
    public func recent(_ count: Int = .max) -> [LogRecord] {
        records.withLock { state in
            let ordered = state.items.count < capacity ? state.items : Array(state.items[state.next...] + state.items[..<state.next])
            return Array(ordered.suffix(max(0, count)))
        }
    }

    fileprivate static let installed = Mutex(false)

    /// Makes every logger of this process, not only Loom's, keep its records in `shared` too
    /// (and print them to standard error). It bootstraps swift-log, which a process may do only
    /// once: only the first call counts, and a program that bootstraps logging itself should
    /// add a `BufferedLogHandler` to its own handlers instead.
    public static func installForThisProcess(level: Logger.Level = .info) {
        let first = installed.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var printed = StreamLogHandler.standardError(label: label)
            printed.logLevel = level
            var kept = BufferedLogHandler(label: label, buffer: .shared)
            kept.logLevel = level
            return MultiplexLogHandler([printed, kept])
        }
    }
}

/// A swift-log handler that keeps records in a `LogBuffer`.
public struct BufferedLogHandler: LogHandler {
    public let label: String
    public let buffer: LogBuffer
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public init(label: String, buffer: LogBuffer) {
        self.label = label
        self.buffer = buffer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = "\(event.message)"
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !all.isEmpty { text += " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        buffer.append(LogRecord(time: Date().timeIntervalSince1970, level: event.level.rawValue, label: label, message: text))
    }
}

extension Logger {
    /// A logger of Loom's own (`loom.scheduler`, `loom.worker`, …): its records go into
    /// `LogBuffer.shared`, for the dashboard and `Client.workerLogs`, and, from
    /// `LoomLogging.outputLevel` up, wherever the program's logging goes (its swift-log
    /// bootstrap, standard error by default) — without Loom taking over the process's logging
    /// bootstrap.
    package static func loom(_ label: String) -> Logger {
        Logger(label: label) { label in KeepingLogHandler(label: label) }
    }
}

/// Keeps each record in `LogBuffer.shared` and passes it on to a logger made by the process's
/// logging system at the time of logging.
struct KeepingLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var kept = BufferedLogHandler(label: label, buffer: .shared)
        kept.metadata = metadata
        // With `installForThisProcess`, the process's own loggers keep what they are passed.
        let passedOn = event.level >= LoomLogging.outputLevel
        if !LogBuffer.installedForProcess || !passedOn { kept.log(event: event) }
        guard passedOn else { return }
        var upstream = Logger(label: label)
        upstream.logLevel = logLevel
        for (key, value) in metadata { upstream[metadataKey: key] = value }
        upstream.log(level: event.level, event.message, metadata: event.metadata, source: event.source,
                     file: event.file, function: event.function, line: event.line)
    }
}

extension LogBuffer {
    /// Whether `installForThisProcess` bootstrapped logging.
    static var installedForProcess: Bool { installed.withLock { $0 } }
}
