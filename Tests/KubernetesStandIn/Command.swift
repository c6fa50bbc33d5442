import Foundation

/// Runs short system commands (iproute2's `ip`) to completion, off the cooperative pool.
enum Command {
    struct Output: Sendable {
        let status: Int32
        let output: String
        let error: String
    }

    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first(where: FileManager.default.isExecutableFile) ?? "/usr/sbin/ip"

    /// Output goes to unlinked temporary files, not pipes: a pipe's end inherited by any other
    /// child would keep the read from ever ending.
    static func run(_ executable: String, _ arguments: [String]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                guard let output = scratchFile(), let error = scratchFile() else {
                    continuation.resume(throwing: StandInError("cannot make a temporary file for \(executable)"))
                    return
                }
                process.standardOutput = output
                process.standardError = error
                process.standardInput = FileHandle.nullDevice
                do { try process.run() } catch {
                    continuation.resume(throwing: StandInError("cannot run \(executable): \(error)"))
                    return
                }
                process.waitUntilExit()
                continuation.resume(returning: Output(status: process.terminationStatus, output: contents(output), error: contents(error)))
            }
        }
    }

    private static func scratchFile() -> FileHandle? {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/kube-standin-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { return nil }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    private static func contents(_ file: FileHandle) -> String {
        try? file.seek(toOffset: 0)
        return String(decoding: (try? file.readToEnd()) ?? Data(), as: UTF8.self)
    }

    /// `ip ARGUMENTS`, throwing with ip's own words when it fails.
    static func ip(_ arguments: [String]) async throws {
        let result = try await run(ip, arguments)
        guard result.status == 0 else {
            throw StandInError("ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// `ip ARGUMENTS`, ignoring failure (clean-up of what may be gone already).
    static func ipQuietly(_ arguments: [String]) async {
        _ = try? await run(ip, arguments)
    }
}
