import Foundation

/// moto, the AWS API emulator, as a server on a free loopback port for one test, from the
/// virtual environment `scripts/install-test-dependencies` makes. Signatures are checked and
/// IAM policies evaluated after the first `noAuthRequests` requests (moto's
/// `INITIAL_NO_AUTH_ACTION_COUNT`). It stops with `stop()`, and on its own when the test
/// process goes (it waits on its standard input).
public final class MotoServer: Sendable {
    public let endpoint: URL
    private let process: Process
    private let input: FileHandle
    private let log: String

    private static let script = """
        import sys
        from moto.server import ThreadedMotoServer
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        print(server.get_host_and_port()[1], flush=True)
        sys.stdin.read()
        server.stop()
        """

    /// - Parameter python: a Python with moto installed; by default the tests' virtual environment's.
    public init(noAuthRequests: Int, python: String = PythonOracle.python) throws {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw PythonOracle.OracleError("no \(python): run scripts/install-test-dependencies (it installs moto there)")
        }
        log = FileManager.default.temporaryDirectory.appendingPathComponent("loom-moto-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", Self.script]
        // AWS's managed policies (AmazonECSTaskExecutionRolePolicy, …) exist only when loaded.
        process.environment = ProcessInfo.processInfo.environment.merging([
            "INITIAL_NO_AUTH_ACTION_COUNT": String(noAuthRequests), "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
        ]) { $1 }
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        self.process = process
        self.input = input.fileHandleForWriting
        // The first line is the port; nothing means it did not start.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            let reason = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            process.terminate()
            try? FileManager.default.removeItem(atPath: log)
            throw PythonOracle.OracleError("moto did not start: \(reason.suffix(2000))")
        }
        endpoint = URL(string: "http://127.0.0.1:\(port)/")!
    }

    /// Ends the server and removes its log.
    public func stop() {
        try? input.close()
        if process.isRunning {
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate() }
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: log)
    }

    /// What moto logged (its requests and tracebacks), for a failing test's message.
    public var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

/// Runs `body` with a moto server, stopped afterwards also when `body` throws.
public func withMoto<T>(noAuthRequests: Int = 0, _ body: (MotoServer) async throws -> T) async throws -> T {
    let moto = try MotoServer(noAuthRequests: noAuthRequests)
    defer { moto.stop() }
    return try await body(moto)
}
