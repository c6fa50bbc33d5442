import CLoomSystem
import Foundation
import Synchronization

/// Work a program must not skip when it ends — cancelling its batch jobs, removing its
/// scheduler file — run at exit, and on SIGINT (Ctrl-C), SIGTERM or SIGHUP (the terminal or SSH
/// session closed), which end a program without its exit handlers. Only signals nothing else in
/// the program handles when the first such cleanup is registered are taken; a program that
/// handles them itself, or later (a server), passes `onSignals: false` and closes its clusters
/// on the way out. A second signal during the cleanup ends the program at once.
public final class CleanupAtExit: Sendable {
    public static let shared = CleanupAtExit()

    private struct State {
        var next = 0
        var cleanups: [Int: @Sendable () -> Void] = [:]
        var ending = false
        var signalsTaken = false
    }
    private let state = Mutex(State())
    /// Kept alive for the process's life; only touched under `state`'s lock.
    nonisolated(unsafe) private var signalSources: [any DispatchSourceSignal] = []

    private init() {
        atexit { CleanupAtExit.shared.runAll() }
    }

    /// Registers `cleanup`; the token removes it once the work was done another way.
    public func add(onSignals: Bool = true, _ cleanup: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            if onSignals, !state.signalsTaken {
                state.signalsTaken = true
                signalSources = [SIGINT, SIGTERM, SIGHUP].filter { cloom_signal_is_default($0) != 0 }.map(Self.take)
            }
            state.next += 1
            state.cleanups[state.next] = cleanup
            return state.next
        }
    }

    public func remove(_ token: Int) { state.withLock { _ = $0.cleanups.removeValue(forKey: token) } }

    /// Whether the program is ending: what is started now should be undone at once.
    public var isEnding: Bool { state.withLock { $0.ending } }

    private func runAll() {
        let cleanups = state.withLock { state in
            state.ending = true
            defer { state.cleanups.removeAll() }
            return state.cleanups.sorted { $0.key < $1.key }.map(\.value)
        }
        for cleanup in cleanups { cleanup() }
    }

    private static func take(_ signal: Int32) -> any DispatchSourceSignal {
        #if canImport(Darwin)
        Foundation.signal(signal, SIG_IGN)  // delivered to the source instead (Linux's libdispatch needs no help)
        #endif
        let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
        source.setEventHandler {
            cloom_restore_default(signal)  // a second one ends the program at once
            CleanupAtExit.shared.runAll()
            cloom_reraise_with_default(signal)
        }
        source.resume()
        return source
    }
}
