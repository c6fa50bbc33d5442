import Foundation
import Loom

/// Where browser tests leave screenshots: `.build/test-artifacts/`.
public let testArtifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/test-artifacts")

/// Runs headless Chromium on `url` with `arguments` (`--dump-dom`, `--screenshot=…`).
public func chromium(_ url: String, _ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
    guard let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
        throw LoomError(.configuration, "Chromium is not installed: scripts/test installs Debian's chromium package")
    }
    try FileManager.default.createDirectory(at: testArtifacts, withIntermediateDirectories: true)
    // The page renders the state it came with as it loads, and --dump-dom takes it then
    // (--timeout: at the latest after 2.5 s, as live updates never let the network go idle);
    // `timeout` guards against a browser that never returns.
    return try await runProcess("/usr/bin/timeout", [
        "-k", "5", "60", browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--hide-scrollbars", "--window-size=1400,1000", "--timeout=2500",
    ] + arguments + [url])
}
