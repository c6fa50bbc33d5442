/// One log record as the dashboard, `Client.workerLogs` and `Client.schedulerLogs` show it.
public struct LogRecord: Sendable, Equatable, Codable {
    /// Seconds since 1970.
    public var time: Double
    public var level: String
    public var label: String
    public var message: String

    public init(time: Double, level: String, label: String, message: String) {
        self.time = time
        self.level = level
        self.label = label
        self.message = message
    }
}
