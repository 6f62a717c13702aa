// What a run prints: one line when a stage starts (with why) and one when it ends (with its time). While a
// stage runs, its output's last line is shown on a single refreshed line on a terminal, or each line is
// printed plainly (prefixed with the stage) when not on a terminal. Thread-safe.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class Console: @unchecked Sendable {
    private let sink: (String) -> Void
    private let isTerminal: Bool
    private let showOutput: Bool
    private let lock = NSLock()
    private var statusShown = false
    private var lastDraw = 0.0

    /// `sink` receives text exactly as it would be printed; `showOutput` false keeps stage output to the logs.
    public init(sink: @escaping (String) -> Void, isTerminal: Bool, showOutput: Bool = true) {
        self.sink = sink
        self.isTerminal = isTerminal
        self.showOutput = showOutput
    }

    /// Standard output, live progress when it is a terminal.
    public static func standard(showOutput: Bool = true) -> Console {
        Console(sink: { s in
            fputs(s, stdout)
            fflush(stdout)
        }, isTerminal: isatty(1) != 0, showOutput: showOutput)
    }

    /// Discards everything (tests and benchmarks).
    public static var silent: Console { Console(sink: { _ in }, isTerminal: false, showOutput: false) }

    /// A line of the run's own report.
    public func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        sink((statusShown ? "\r\u{1B}[K" : "") + text + "\n")
        statusShown = false
    }

    /// A line a running stage printed.
    func output(stage: String, _ text: String) {
        guard showOutput else { return }
        lock.lock(); defer { lock.unlock() }
        if isTerminal {
            let now = Date().timeIntervalSinceReferenceDate
            guard now - lastDraw > 0.08 else { return }
            lastDraw = now
            let width = 100
            let shown = text.count > width ? String(text.prefix(width)) + "..." : text
            sink("\r\u{1B}[K  \(stage) | \(shown)")
            statusShown = true
        } else {
            sink("  \(stage) | \(text)\n")
        }
    }
}

/// Seconds with a precision that suits the size: `0.012 s`, `3.4 s`, `2 min 5 s`.
func formatSeconds(_ s: Double) -> String {
    if s < 1 { return String(format: "%.3f s", s) }
    if s < 60 { return String(format: "%.1f s", s) }
    return "\(Int(s) / 60) min \(Int(s) % 60) s"
}
