import Foundation
import LoomCore

/// A file on a directory the cluster's nodes share, where the scheduler writes its address so
/// workers need not be told it (Dask's `--scheduler-file`).
public struct SchedulerFile: Codable, Sendable, Equatable {
    public var address: String
    public var dashboard: String?

    public init(address: String, dashboard: String? = nil) {
        self.address = address
        self.dashboard = dashboard
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LoomError(.configuration, "cannot write the scheduler file \(path): \(error)")
        }
    }

    /// Reads the file once it is there (a worker may start before its scheduler does), giving
    /// up after `timeout`.
    public static func read(_ path: String, waiting timeout: Duration) async throws -> SchedulerFile {
        let deadline = ContinuousClock.now + timeout
        while !FileManager.default.fileExists(atPath: path) {
            guard ContinuousClock.now < deadline else {
                throw LoomError(.configuration, "no scheduler file at \(path) after \(timeout): is the scheduler started with --scheduler-file \(path)?")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try read(path)
    }

    public static func read(_ path: String) throws -> SchedulerFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoomError(.configuration, "cannot read the scheduler file \(path)")
        }
        do {
            return try JSONDecoder().decode(SchedulerFile.self, from: data)
        } catch {
            throw LoomError(.configuration, "the scheduler file \(path) is not a Loom scheduler file: \(error)")
        }
    }
}
