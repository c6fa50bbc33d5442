import Synchronization

/// The plugins every scheduler of this process starts with, besides those it is given — as
/// `LoggingSystem.bootstrap` picks swift-log's backend once per process. `Loom.bootstrap`
/// installs the dashboard (and its metrics) here, so `LocalCluster()`, the job-queue clusters and
/// `loom scheduler` serve it; a program that does not call it gets no dashboard unless it
/// installs one or passes it as a plugin.
public enum DefaultSchedulerPlugins {
    /// Makes a scheduler's plugins from its options (a dashboard reads `dashboardAddress`).
    public typealias Factory = @Sendable (SchedulerOptions) throws -> [any SchedulerPlugin]

    private static let factories = Mutex<[(name: String, make: Factory)]>([])

    /// Adds `factory` under `name`, replacing an earlier one of that name.
    public static func install(_ name: String, _ factory: @escaping Factory) {
        factories.withLock { list in
            list.removeAll { $0.name == name }
            list.append((name, factory))
        }
    }

    static func make(for options: SchedulerOptions) throws -> [any SchedulerPlugin] {
        try factories.withLock { $0 }.flatMap { try $0.make(options) }
    }
}
