// Recycles large tensor buffers. A training step frees and allocates the same activation sizes every
// iteration; handing 100+ MB buffers back to the kernel (glibc returns large blocks with munmap) and
// faulting them in again cost a quarter of the CPU time of a SALT-sized step (4.7 million minor page
// faults, 23 s of system time). Buffers of at least `minimumBytes` are kept, keyed by exact size, up to
// `limitBytes` in total (SALT_BUFFER_POOL_MB; 0 disables), and reused for the next tensor of that size.
// The default, 4 GB but at most a sixth of physical memory, holds most of a SALT-default step's
// activations (226 MB each at 32 channels x 192x192x48): measured on the default net, 4 GB instead of 1 GB
// took the first training step from 56.6 to 52.1 CPU-s for 300 MB more peak RSS (4.9 -> 5.2 GB).
import Foundation

public enum BufferPool {
    static let minimumBytes = 1 << 20
    public static let limitBytes: Int = {
        if let s = ProcessInfo.processInfo.environment["SALT_BUFFER_POOL_MB"], let mb = Int(s), mb >= 0 { return mb << 20 }
        return min(4096 << 20, Int(ProcessInfo.processInfo.physicalMemory / 6))
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var pooled = 0

    /// The bytes currently held for reuse.
    public static var pooledBytes: Int { lock.lock(); defer { lock.unlock() }; return pooled }

    /// 64-byte aligned memory of `byteCount` bytes, recycled when one of that size is free.
    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount >= minimumBytes {
            lock.lock()
            if var list = free[byteCount], let p = list.popLast() {
                free[byteCount] = list.isEmpty ? nil : list
                pooled -= byteCount
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
    }

    static func release(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount >= minimumBytes {
            lock.lock()
            if pooled + byteCount <= limitBytes {
                free[byteCount, default: []].append(p)
                pooled += byteCount
                lock.unlock()
                return
            }
            lock.unlock()
        }
        p.deallocate()
    }

    /// Returns every pooled buffer to the system (e.g. between training and a large prediction).
    public static func drain() {
        lock.lock()
        let all = free.values.flatMap { $0 }
        free = [:]; pooled = 0
        lock.unlock()
        all.forEach { $0.deallocate() }
    }
}
