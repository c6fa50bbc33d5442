import CLoomSystem
import Foundation
import LoomCore

/// `runCommand` on a thread of its own: waiting for a command (a batch system's, a credential
/// plugin) must not hold one of Swift's few cooperative threads, which the scheduler and clients
/// in this process need.
package func runCommandOffPool(_ command: [String], input: String? = nil, directory: String? = nil, commands: String? = nil,
                               environment: [String: String] = [:]) async throws
    -> (status: Int32, output: String, error: String)
{
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result { try runCommand(command, input: input, directory: directory, commands: commands, environment: environment) })
        }.start()
    }
}

/// Runs a command; its status, standard output and error. `commands`: the directory of the
/// command, if not on `PATH`; `environment`: variables added to this process's.
package func runCommand(_ command: [String], input: String? = nil, directory: String? = nil, commands: String? = nil,
                        environment: [String: String] = [:]) throws
    -> (status: Int32, output: String, error: String)
{
    let process = Process()
    if let commands {
        process.executableURL = URL(fileURLWithPath: "\(commands)/\(command[0])")
        process.arguments = Array(command.dropFirst())
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
    }
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    // Never the terminal: a command waiting for input there (a login prompt) would hang us.
    process.standardInput = input.flatMap { FileHandle(forReadingAtPath: $0) } ?? FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        throw LoomError(.configuration, "cannot run \(command[0]): \(error)")
    }
    // Both pipes at once, so a chatty command cannot block on a full one.
    nonisolated(unsafe) var errorData = Data()
    let errorRead = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        errorData = error.fileHandleForReading.readDataToEndOfFile()
        errorRead.signal()
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    errorRead.wait()
    return (exitStatus(of: process), String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}

/// Waits for the process to end and returns its exit status. It reaps the child itself:
/// Foundation sometimes never notices a submit command that exits while the job it started
/// lives on (seen with `waitUntilExit` hanging on a zombie).
private func exitStatus(of process: Process) -> Int32 {
    var status: Int32 = 0
    let reaped = waitpid(process.processIdentifier, &status, 0)
    if reaped == process.processIdentifier {
        var code: Int32 = 0
        // Exited: its status; killed by a signal: 128 + the signal, as shells report it.
        switch cloom_wait_status(status, &code) {
        case 1: return code
        case 2: return 128 + code
        default: return -1
        }
    }
    // Foundation reaped it first.
    while process.isRunning { usleep(1_000) }
    return process.terminationStatus
}
