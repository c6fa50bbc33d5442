import Foundation
import Testing

/// Runs the built `loom` executable and returns its exit status, standard output and error.
func runLoom(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("loom").path }
    let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "loom is not built")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}

@Suite struct CLITests {
    @Test func versionPrintsTheVersion() throws {
        let result = try runLoom(["version"])
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("loom 0."))
    }

    @Test func theDemoCountsPrimesOnEveryScheduler() throws {
        let dot = FileManager.default.temporaryDirectory.appendingPathComponent("loom-demo-\(UUID().uuidString).dot").path
        defer { try? FileManager.default.removeItem(atPath: dot) }
        let result = try runLoom(["demo", "--limit", "1000000", "--segment", "100000", "--workers", "2", "--dot", dot])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("synchronous"))
        #expect(result.output.contains("threads(2)"))
        #expect(result.output.contains("processes(2)"))
        #expect(result.output.contains("π(1,000,000) = 78,498"))
        #expect(result.output.contains("Matches the known value"))
        let graph = try String(contentsOfFile: dot, encoding: .utf8)
        #expect(graph.contains("sieve-segment"))
    }

    @Test func badArgumentsAreExplained() throws {
        let result = try runLoom(["demo", "--schedulers", "gpu"])
        #expect(result.status != 0)
        #expect(result.error.contains("unknown scheduler 'gpu'"))
        let unknown = try runLoom(["frobnicate"])
        #expect(unknown.status != 0)
    }
}
