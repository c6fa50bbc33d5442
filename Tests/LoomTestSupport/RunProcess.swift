import Foundation

/// Runs a program to completion and returns its exit status, standard output and error.
///
/// The waiting happens on a thread of its own: blocking one of Swift's few cooperative threads
/// would starve the async code (a scheduler, say) that the program may be waiting for.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws
    -> (status: Int32, output: String, error: String)
{
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
            let output = Pipe(), error = Pipe()
            process.standardOutput = output
            process.standardError = error
            do {
                try process.run()
            } catch {
                return continuation.resume(throwing: error)
            }
            // Read both pipes at once so a chatty program cannot block on a full one.
            let errorText = Collected()
            let errorDone = DispatchSemaphore(value: 0)
            Thread {
                errorText.data = error.fileHandleForReading.readDataToEndOfFile()
                errorDone.signal()
            }.start()
            let outputData = output.fileHandleForReading.readDataToEndOfFile()
            errorDone.wait()
            process.waitUntilExit()
            continuation.resume(returning: (
                process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorText.data, as: UTF8.self)))
        }.start()
    }
}

/// Bytes one thread reads and another uses after a semaphore says they are complete.
private final class Collected: @unchecked Sendable {
    var data = Data()
}
