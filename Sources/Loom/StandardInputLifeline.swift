import Foundation

/// Stops this process gracefully (SIGTERM to itself) when its standard input reaches its end:
/// what keeps a process SSHCluster started from outliving the ssh session that started it.
enum StandardInputLifeline {
    static func watch() {
        Thread {
            while !FileHandle.standardInput.availableData.isEmpty {}
            kill(getpid(), SIGTERM)
        }.start()
    }
}
