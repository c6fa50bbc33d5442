import Foundation
import Synchronization

/// Starts one container as a local process inside its pod's network namespace
/// (`ip netns exec NS argv…`), its output in the container's log file. Volumes are bind
/// mounts made by a small shell in the private mount namespace `ip netns exec` gives it, so
/// they are seen by the container only.
enum ContainerProcess {
    struct Mount {
        let source: String
        let target: String
        let readOnly: Bool
    }

    /// Why a container could not start (the real runtime's StartError, exit code 128).
    struct StartError: Error {
        let message: String
    }

    static func start(argv: [String], environment: [String: String], namespace: String, log: String, workingDirectory: String?,
                      mounts: [Mount], live: LiveProcesses, onExit: @escaping @Sendable (_ status: Int32, _ signal: Int32?) -> Void) throws(StartError) -> Int32
    {
        try? FileManager.default.createDirectory(atPath: (log as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard let first = argv.first else { throw StartError(message: "no command specified") }
        guard let executable = resolve(first, path: environment["PATH"] ?? "") else {
            throw StartError(message: "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"\(first)\": executable file not found in $PATH: unknown")
        }
        var command = [executable] + argv.dropFirst()
        if !mounts.isEmpty {
            let script = mounts.map { mount in
                "mount --bind \(quoted(mount.source)) \(quoted(mount.target))"
                    + (mount.readOnly ? " && mount -o remount,bind,ro \(quoted(mount.target))" : "")
            }.joined(separator: " && ") + " && exec \"$@\""
            command = ["/bin/sh", "-c", script, "sh"] + command
        }
        let directory = workingDirectory.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil } ?? "/"
        // `env -C` sets the working directory (posix_spawn's chdir action is not in Swift's Glibc).
        let pid = try spawn([Command.ip, "netns", "exec", namespace, "/usr/bin/env", "-C", directory, "--"] + command, environment: environment, log: log)
        live.insert(pid)
        // One thread a container waits for it, so its exit is known at once. It leaves `live`
        // before it is reaped, so a pid in `live` is never another process's.
        Thread.detachNewThread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            live.remove(pid)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let signal = status & 0x7f
            signal == 0 ? onExit((status >> 8) & 0xff, nil) : onExit(128 + signal, signal)
        }
        return pid
    }

    /// posix_spawn with every signal at its default and none blocked: the stand-in's threads
    /// block most signals (and a host process may ignore SIGTERM), which a container must not
    /// inherit, or SIGTERM would not stop it. In a process group of its own, as in a container.
    private static func spawn(_ argv: [String], environment: [String: String], log: String) throws(StartError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in arguments + variables { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, arguments, variables)
        guard result == 0 else { throw StartError(message: "failed to start \(argv.dropFirst(8).first ?? ""): \(String(cString: strerror(result)))") }
        return pid
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module lacks.
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// No descriptor of the stand-in's (sockets, other commands' files) reaches a container.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom, closeFrom(&actions, 3) == 0 { return }
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for descriptor in open where descriptor > 2 { posix_spawn_file_actions_addclose(&actions, descriptor) }
    }

    /// The command's path: as given when it has a slash, else the first executable in PATH.
    static func resolve(_ command: String, path: String) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// A pod's container processes not yet reaped, to kill whatever is left when the pod goes,
/// wherever it is (beside the namespace's own clean-up).
final class LiveProcesses: Sendable {
    private let pids = Mutex<Set<Int32>>([])

    func insert(_ pid: Int32) { _ = pids.withLock { $0.insert(pid) } }
    func remove(_ pid: Int32) { _ = pids.withLock { $0.remove(pid) } }
    func killAll() { for pid in pids.withLock({ $0 }) { kill(pid, SIGKILL) } }
}
