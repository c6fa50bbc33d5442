import ArgumentParser
import Foundation

/// `--stop-when-stdin-closes`: the process stops gracefully (SIGTERM to itself) when its
/// standard input reaches its end — what keeps a process SSHCluster started from outliving the
/// ssh session that started it.
struct StandardInputLifeline: ParsableArguments {
    @Flag(help: "Stop when standard input closes (SSHCluster's lifeline: a lost ssh session ends this process).")
    var stopWhenStdinCloses = false

    /// Starts watching standard input, if asked to.
    func arm() {
        guard stopWhenStdinCloses else { return }
        Thread {
            while !FileHandle.standardInput.availableData.isEmpty {}
            kill(getpid(), SIGTERM)
        }.start()
    }
}
