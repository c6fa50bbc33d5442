import CLoomSystem
import Foundation
import LoomDistributed
import LoomCore
import Synchronization

/// A command on another host, run through the system's ssh client.
///
/// Its standard input is a lifeline: the remote command (started with
/// `--stop-when-stdin-closes`) stops when it closes, which happens when `stop()` closes it, when
/// this process ends, or when the SSH connection is lost. Output is kept for errors and for the
/// lines the caller waits for.
///
/// ssh is started with posix_spawn and reaped here, not with Foundation's `Process`: ssh closes
/// every inherited descriptor as it starts, which Foundation takes for the process ending, and its
/// monitor then blocks in `waitpid` until ssh really ends, so no other process's end is noticed.
final class RemoteProcess: Sendable {
    let host: String
    private let pid: pid_t
    /// The write end of ssh's standard input, until closed.
    private let lifeline: Mutex<Int32>
    private let output = CollectedOutput()
    /// ssh's exit status, once reaped.
    private let ended = Mutex<Int32?>(nil)

    /// Starts `command` (each argument quoted for the remote shell) on `host`; `input` is
    /// written to its standard input first.
    init(host: String, command: [String], ssh options: SSHConnectOptions, input: Data? = nil) throws {
        self.host = host
        var toChild: [Int32] = [-1, -1], fromOut: [Int32] = [-1, -1], fromErr: [Int32] = [-1, -1]
        guard cloom_pipe_cloexec(&toChild) == 0, cloom_pipe_cloexec(&fromOut) == 0, cloom_pipe_cloexec(&fromErr) == 0 else {
            let reason = String(cString: strerror(errno))
            for descriptor in toChild + fromOut + fromErr where descriptor >= 0 { close(descriptor) }
            throw LoomError(.configuration, "cannot make pipes for ssh: \(reason)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromOut[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fromErr[1], 2)
        let path = options.sshPath
        let arguments = [path] + options.arguments(host: host) + ["--", command.map { ShellWord.quoted($0) }.joined(separator: " ")]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, path, &actions, nil, argv, envp)
        for descriptor in [toChild[0], fromOut[1], fromErr[1]] { close(descriptor) }
        guard spawned == 0 else {
            for descriptor in [toChild[1], fromOut[0], fromErr[0]] { close(descriptor) }
            throw LoomError(.configuration, "cannot run \(path) to reach \(host): \(String(cString: strerror(spawned)))")
        }
        pid = child
        lifeline = Mutex(toChild[1])
        let output = output
        Self.collect(fromOut[0]) { text in output.text.withLock { Self.append(text, to: &$0.stdout) } }
        Self.collect(fromErr[0]) { text in output.text.withLock { Self.append(text, to: &$0.stderr) } }
        if let input, !input.isEmpty { Self.write(input, to: toChild[1]) }
    }

    /// A long-running session's output is kept to its last 256 KB.
    private static func append(_ text: String, to kept: inout String) {
        kept += text
        if kept.utf8.count > 262_144 { kept = String(kept.suffix(131_072)) }
    }

    /// A cluster dropped without `close()` still ends its remote processes.
    deinit {
        lifeline.withLock { descriptor in if descriptor >= 0 { close(descriptor) } }
    }

    /// Reads `descriptor` to its end on a thread of its own.
    private static func collect(_ descriptor: Int32, into append: @escaping @Sendable (String) -> Void) {
        Thread {
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                append(String(decoding: buffer[..<count], as: UTF8.self))
            }
            close(descriptor)
        }.start()
    }

    /// Writes on a thread with SIGPIPE blocked: ssh may already have ended, and the signal must
    /// not end this program (pending on that thread, it goes with it).
    private static func write(_ data: Data, to descriptor: Int32) {
        let done = DispatchSemaphore(value: 0)
        Thread {
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { break }
                    offset += written
                }
            }
            done.signal()
        }.start()
        done.wait()
    }

    /// ssh's exit status (the remote command's, or 255 for ssh's own failure); nil while it runs.
    var exitStatus: Int32? {
        ended.withLock { ended in
            if let ended { return ended }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            var code: Int32 = 0
            switch cloom_wait_status(status, &code) {
            case 1: ended = code
            case 2: ended = 128 + code
            default: ended = -1
            }
            return ended
        }
    }

    var isRunning: Bool { exitStatus == nil }
    var standardOutput: String { output.text.withLock { $0.stdout } }
    var standardError: String { output.text.withLock { $0.stderr } }

    /// What went wrong once ssh or the command ended: ssh's own words (its last lines).
    var failure: String? {
        guard let status = exitStatus else { return nil }
        let said = standardError.split(separator: "\n").suffix(5).joined(separator: "\n")
        return "ssh \(host) ended with status \(status)\(said.isEmpty ? "" : ": \(said)")"
    }

    /// The rest of the first output line starting with `prefix`; throws with ssh's words if it
    /// ends first, or after `timeout`.
    func line(after prefix: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = standardOutput.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let failure { throw LoomError(.configuration, failure) }
            guard ContinuousClock.now < deadline else {
                throw LoomError(.timeout, "nothing from \(host) within \(timeout); it said: \(standardError.suffix(500))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for the command and ssh to end by themselves.
    func waitForExit() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Closes the lifeline so the remote command stops gracefully; ends ssh if it has not
    /// gone within `grace` (the remote command then sees its connection drop, and stops too).
    func stop(grace: Duration = .seconds(10)) async {
        lifeline.withLock { descriptor in
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if isRunning {
            kill(pid, SIGTERM)
            try? await Task.sleep(for: .seconds(1))
            if isRunning { kill(pid, SIGKILL) }
        }
        await waitForExit()
    }
}

/// What a remote process printed so far, appended to by the pipes' handlers.
private final class CollectedOutput: Sendable {
    let text = Mutex<(stdout: String, stderr: String)>(("", ""))
}
