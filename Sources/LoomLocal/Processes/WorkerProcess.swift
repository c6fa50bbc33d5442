import CLoomSystem
import Foundation
import LoomCore

/// A pool worker as its parent sees it: a child process started from a Loom executable, the
/// pipes to and from it, and the page where it writes the task it is running.
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    let executable: String
    private(set) var taskDescriptor: Int32
    let results: FrameReader
    private let resultDescriptor: Int32
    private let running: UnsafeMutablePointer<Int64>

    /// Starts `executable` as a pool worker. The child gets the task pipe on fd 3, the result
    /// pipe on fd 4 and the status page on fd 5; nothing else of the parent's is inherited.
    init(executable: String) throws {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard cloom_pipe_cloexec(&toChild) == 0 else { throw Self.systemError("pipe") }
        guard cloom_pipe_cloexec(&fromChild) == 0 else { throw Self.systemError("pipe") }
        let status = cloom_memfd("loom-worker-status")
        guard status >= 0, ftruncate(status, 8) == 0,
            let page = mmap(nil, 8, PROT_READ | PROT_WRITE, MAP_SHARED, status, 0), page != MAP_FAILED
        else { throw Self.systemError("status page") }
        running = page.bindMemory(to: Int64.self, capacity: 1)
        running.pointee = 0
        defer {
            close(toChild[0])
            close(fromChild[1])
            close(status)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], ProcessWorker.taskDescriptor)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], ProcessWorker.resultDescriptor)
        posix_spawn_file_actions_adddup2(&actions, status, ProcessWorker.statusDescriptor)

        var environment = ProcessInfo.processInfo.environment
        environment[ProcessWorker.modeVariable] = ProcessWorker.mode
        environment[CLOOM_DIE_WITH_PARENT] = String(getpid())  // the worker dies with this process
        let argv = [strdup(executable)] + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw LoomError(.workerDied, "cannot start worker executable \(executable): \(String(cString: strerror(spawned)))")
        }
        pid = child
        self.executable = executable
        taskDescriptor = toChild[1]
        resultDescriptor = fromChild[0]
        results = FrameReader(descriptor: fromChild[0])
    }

    deinit {
        closeTasks()
        close(resultDescriptor)
        munmap(running, 8)
    }

    /// The task number the worker is running (as it numbered them), or nil between tasks.
    var runningTask: Int? {
        let value = running.pointee
        return value > 0 ? Int(value - 1) : nil
    }

    /// Ends the task stream: the worker finishes its batches and exits.
    func closeTasks() {
        if taskDescriptor >= 0 {
            close(taskDescriptor)
            taskDescriptor = -1
        }
    }

    func kill() { _ = Foundation.kill(pid, SIGKILL) }

    /// Waits for the process to end and describes how it ended ("exited with status 1",
    /// "was killed by signal 9 (SIGKILL)").
    func reap() -> String {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        var code: Int32 = 0
        switch cloom_wait_status(status, &code) {
        case 1: return "exited with status \(code)"
        case 2: return "was killed by signal \(code) (\(Self.signalName(code)))"
        default: return "ended with wait status \(status)"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS",
            SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGINT: "SIGINT", SIGTRAP: "SIGTRAP", SIGPIPE: "SIGPIPE",
        ]
        return names[signal] ?? "SIG\(signal)"
    }

    private static func systemError(_ what: String) -> LoomError {
        LoomError(.workerDied, "cannot create a \(what) for a worker process: \(String(cString: strerror(errno)))")
    }
}
