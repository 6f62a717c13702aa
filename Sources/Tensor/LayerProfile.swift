// Where a network's time goes: wall seconds per layer pass, summed by a key such as
// "conv fwd 32->64 3x3x3 /2 at 96x96x24". Off unless a benchmark switches it on; layers run one after
// another on the calling thread, so the table needs no lock.
import Foundation

public enum LayerProfile {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) static var totals: [String: (seconds: Double, calls: Int)] = [:]

    /// Runs `body`, adding its wall time to `key()` when profiling is on (the key is only built then).
    @inline(__always)
    public static func measure<T>(_ key: @autoclosure () -> String, _ body: () -> T) -> T {
        guard enabled else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let k = key()
        let old = totals[k] ?? (0, 0)
        totals[k] = (old.seconds + seconds, old.calls + 1)
        return result
    }

    public static func reset() { totals = [:] }

    /// (key, seconds, calls), largest first.
    public static var entries: [(key: String, seconds: Double, calls: Int)] {
        totals.map { ($0.key, $0.value.seconds, $0.value.calls) }.sorted { $0.seconds > $1.seconds }
    }
}
