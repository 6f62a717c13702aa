// One `salt run` per workspace: an exclusive flock on `.salt/lock`, which also holds the owner's PID for
// the message a second run prints. The kernel drops the lock when the process dies, even by kill -9, so a
// crashed run never needs a manual unlock. The descriptor is close-on-exec: stages must not inherit it.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class WorkspaceLock {
    let fd: Int32
    let path: String

    /// Takes the lock; when another run holds it, waits (`wait`, after calling `waiting` with its PID)
    /// or throws `RunnerError.locked`.
    init(path: String, wait: Bool, waiting: (Int32?) -> Void = { _ in }) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunnerError.io(function: "open", path: path, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else {
                let code = errno
                close(fd)
                throw RunnerError.io(function: "flock", path: path, errno: code)
            }
            let holder = Self.readPID(fd)
            guard wait else {
                close(fd)
                throw RunnerError.locked(path: path, pid: holder)
            }
            waiting(holder)
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw RunnerError.io(function: "flock", path: path, errno: code)
                }
            }
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Unlocks explicitly before closing: a flock belongs to the open file, and a child being spawned by
    /// another thread holds a copy of every descriptor until its exec, so a bare close could leave the
    /// workspace locked for a moment after the run.
    func release() {
        _ = ftruncate(fd, 0)
        _ = flock(fd, LOCK_UN)
        close(fd)
    }
}
