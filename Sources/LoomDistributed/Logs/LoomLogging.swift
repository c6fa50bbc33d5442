import Foundation
import Logging
import Synchronization

/// How much of Loom's own logging reaches the program's log output (standard error, unless the
/// program bootstraps swift-log itself). Every record at info and up is still kept in
/// `LogBuffer.shared`, for the dashboard and `Client.schedulerLogs`/`workerLogs`.
///
/// In a program using Loom, only warnings and errors are printed, as Dask's `LocalCluster` does
/// in a user's process, so the program's own output is not buried under the scheduler's and
/// workers' info lines. `loom scheduler` and `loom worker` (and a program's `myapp worker`)
/// print info too: they are servers whose log is their output. `LOOM_LOG_LEVEL` (`debug`,
/// `info`, `warning`, `error`, …) overrides both.
public enum LoomLogging {
    private static let level = Mutex<Logger.Level>(fromEnvironment ?? .warning)

    /// The lowest level of Loom's records that reach the program's log output.
    public static var outputLevel: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }

    /// What a server process prints: info and up, unless `LOOM_LOG_LEVEL` says otherwise.
    public static func printInfoUnlessConfigured() {
        if fromEnvironment == nil { outputLevel = .info }
    }

    /// The variable the nanny of a LocalCluster's workers sets, so they stay as quiet as the
    /// program that started them.
    public static let variable = "LOOM_LOG_LEVEL"

    static var fromEnvironment: Logger.Level? {
        ProcessInfo.processInfo.environment[variable].flatMap { Logger.Level(rawValue: $0.lowercased()) }
    }
}
