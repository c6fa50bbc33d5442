import Foundation

/// pandas and pyarrow, the references the dataframe tests check Loom's files against, in the
/// virtual environment `scripts/install-test-dependencies` makes (`.build/test-venv`).
public enum PythonOracle {
    public static let python = testArtifacts.deletingLastPathComponent().appendingPathComponent("test-venv/bin/python").path

    /// Runs `script` with `arguments`; its standard output, or an error with what it printed.
    public static func run(_ script: String, _ arguments: [String] = []) async throws -> String {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw OracleError("no \(python): run scripts/install-test-dependencies (it installs pandas and pyarrow there)")
        }
        let result = try await runProcess(python, ["-c", script] + arguments)
        guard result.status == 0 else { throw OracleError("the Python oracle failed (\(result.status)): \(result.error)") }
        return result.output
    }

    public struct OracleError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
