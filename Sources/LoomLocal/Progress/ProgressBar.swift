import Foundation
import LoomCore
import Synchronization

/// A terminal progress bar for a local computation, like Dask's `ProgressBar`:
/// `[####################                    ] |  50% Completed |  1.2s`.
///
/// It appears only when the computation runs longer than `minimum` seconds and stays silent
/// when its output is not a terminal (logs and pipes get no control characters).
public final class ProgressBar: Sendable {
    /// Where the bar is drawn: standard error, or a closure (useful in tests).
    public enum Output: Sendable {
        case standardError
        case custom(@Sendable (String) -> Void)
    }

    let minimum: Double
    let width: Int
    let interval: Double
    let output: Output

    /// - Parameters:
    ///   - minimum: seconds before the bar appears; `nil` reads `progress.minimum` from configuration.
    ///   - width: characters between the brackets.
    ///   - interval: seconds between redraws.
    public init(minimum: Double? = nil, width: Int = 40, interval: Double = 0.1, output: Output = .standardError) {
        self.minimum = minimum ?? ((try? Configuration.current.progressBarMinimum) ?? 0.5)
        self.width = width
        self.interval = interval
        self.output = output
    }

    var isTerminal: Bool {
        switch output {
        case .standardError: isatty(STDERR_FILENO) == 1
        case .custom: true
        }
    }

    /// One line of the bar, as drawn after `seconds` with `fraction` done.
    static func line(fraction: Double, seconds: Double, width: Int) -> String {
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let percent = String(format: "%3d", Int((fraction * 100).rounded(.down)))
        return "[\(bar)] | \(percent)% Completed | \(formatted(seconds: seconds))"
    }

    static func formatted(seconds: Double) -> String {
        let whole = Int(seconds)
        if whole >= 3600 { return "\(whole / 3600)hr \(whole % 3600 / 60)min" }
        if whole >= 60 { return "\(whole / 60)min \(whole % 60)s" }
        return String(format: "%4.1fs", seconds)
    }

    /// Draws the bar for `counter` on its own thread; returns the function that stops it.
    package func watch(_ counter: ProgressCounter) -> @Sendable () -> Void {
        guard isTerminal else { return {} }
        let stop = StopFlag()
        let started = ContinuousClock.now
        let thread = DedicatedThread(name: "loom-progress") { [self] in
            var drawn = false
            while !stop.isSet {
                let elapsed = (ContinuousClock.now - started).seconds
                if elapsed >= minimum {
                    draw(counter, elapsed: elapsed, final: false)
                    drawn = true
                }
                usleep(UInt32(interval * 1e6))
            }
            if drawn { draw(counter, elapsed: (ContinuousClock.now - started).seconds, final: true) }
        }
        return {
            stop.set()
            thread.join()
        }
    }

    private func draw(_ counter: ProgressCounter, elapsed: Double, final: Bool) {
        let fraction = counter.total == 0 ? 1 : min(1, Double(counter.finished) / Double(counter.total))
        let text = "\r" + Self.line(fraction: fraction, seconds: elapsed, width: width) + (final ? "\n" : "")
        switch output {
        case .standardError: writeToStandardError(text)
        case .custom(let write): write(text)
        }
    }
}

private final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
