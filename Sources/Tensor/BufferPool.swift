// Recycles large tensor buffers. A training step frees and allocates the same activation sizes every
// iteration; handing 100+ MB buffers back to the kernel (glibc returns large blocks with munmap) and
// faulting them in again cost a quarter of the CPU time of a SALT-sized step (4.7 million minor page
// faults, 23 s of system time). Buffers of at least `minimumBytes` are kept, keyed by exact size, up to
// `limitBytes` in total (SALT_BUFFER_POOL_MB; 0 disables), and reused for the next tensor of that size.
// The default, 1 GB (at most a sixth of physical memory), trades page faults against peak memory:
// pooled buffers of one size cannot serve another, so a larger pool raises peak RSS. SALT-default train
// step / forward / peak RSS, 2026-12-04, one machine: pool 0 19.2 s / 6.2 s / 4.94 GB; 512 MB 18.6 s /
// 5.4-6.0 s / 4.95 GB; 1 GB 18.1 s / 5.3 s / 5.30 GB; 4 GB 18.7 s / 5.0 s / 5.55 GB (PyTorch + MONAI
// there: 30.2 s / 5.6 s / 5.31 GB).
import Foundation

public enum BufferPool {
    static let minimumBytes = 1 << 20
    public static let limitBytes: Int = {
        if let s = ProcessInfo.processInfo.environment["SALT_BUFFER_POOL_MB"], let mb = Int(s), mb >= 0 { return mb << 20 }
        return min(1024 << 20, Int(ProcessInfo.processInfo.physicalMemory / 6))
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
