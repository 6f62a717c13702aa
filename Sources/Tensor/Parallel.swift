// The one thread pool of salt's compute side: Dispatch's concurrentPerform over the machine's cores.
// Kernels split work into chunks with `Parallel.for`.
import Dispatch
import Foundation

public enum Parallel {
    /// Worker count: the cores the process may use (SALT_THREADS overrides, e.g. 1 for profiling).
    public static let threads: Int = {
        if let s = ProcessInfo.processInfo.environment["SALT_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Calls `body(i)` for i in 0..<count, spread over the workers; returns when all are done.
    /// `body` must only write memory that no other index writes.
    public static func `for`(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || threads == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count) { i in body(i) }
        }
    }

    /// Splits 0..<count into about `threads * oversubscribe` contiguous ranges and runs them in parallel.
    public static func forRanges(_ count: Int, oversubscribe: Int = 1, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = min(count, threads * max(1, oversubscribe))
        Parallel.for(chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}
