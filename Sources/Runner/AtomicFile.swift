// Writing a file so that readers see the old content or the new, never a part: write a temporary file in
// the same file system, then rename it over the target.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum AtomicFile {
    static func write(_ data: Data, to path: String, temporaryDirectory: String) throws {
        let tmp = temporaryDirectory + "/" + UUID().uuidString
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunnerError.io(function: "open", path: tmp, errno: errno) }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
        let code = errno
        close(fd)
        guard ok else { unlink(tmp); throw RunnerError.io(function: "write", path: tmp, errno: code) }
        guard rename(tmp, path) == 0 else {
            let code = errno
            unlink(tmp)
            throw RunnerError.io(function: "rename", path: path, errno: code)
        }
    }
}
