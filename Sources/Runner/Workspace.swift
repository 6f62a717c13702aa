// The `.salt` folder of a workspace: where each piece of state lives (see Runner.swift for the layout).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct Workspace: Sendable {
    /// The workspace root (absolute).
    let root: String
    var salt: String { root + "/.salt" }
    var stateDirectory: String { salt + "/state" }
    var runsDirectory: String { salt + "/runs" }
    var cacheDirectory: String { salt + "/cache" }
    var logsDirectory: String { salt + "/logs" }
    var journalDirectory: String { salt + "/journal" }
    var temporaryDirectory: String { salt + "/tmp" }
    var memoPath: String { salt + "/memo" }
    var lockPath: String { salt + "/lock" }

    func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : root + "/" + path }
    func statePath(_ stage: String) -> String { stateDirectory + "/" + stage + ".json" }
    func logPath(_ stage: String) -> String { logsDirectory + "/" + stage + ".log" }
    func journalPath(_ stage: String) -> String { journalDirectory + "/" + stage }
    func runPath(_ key: Digest) -> String { runsDirectory + "/" + String(key.hex.prefix(2)) + "/" + key.hex + ".json" }
    func objectPath(_ digest: Digest) -> String { cacheDirectory + "/" + String(digest.hex.prefix(2)) + "/" + digest.hex }
    func manifestPath(_ digest: Digest) -> String { objectPath(digest) + ".dir" }

    /// Creates the folders a run writes to.
    func prepare() throws {
        for d in [salt, stateDirectory, runsDirectory, cacheDirectory, logsDirectory, journalDirectory, temporaryDirectory] {
            try FileSystemOps.makeDirectories(d)
        }
    }
}

/// Small POSIX helpers with errors that name the call.
enum FileSystemOps {
    static func makeDirectories(_ path: String) throws {
        if mkdir(path, 0o755) == 0 { return }
        if errno == EEXIST { return }
        if errno == ENOENT {
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty && parent != path {
                try makeDirectories(parent)
                if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
            }
        }
        throw RunnerError.io(function: "mkdir", path: path, errno: errno)
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Removes a file, link or whole tree; nothing there is fine.
    static func remove(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard let d = opendir(path) else { throw RunnerError.io(function: "opendir", path: path, errno: errno) }
            var names: [String] = []
            while let ent = readdir(d) {
                let name = withUnsafeBytes(of: ent.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(d)
            for n in names { try remove(path + "/" + n) }
            guard rmdir(path) == 0 else { throw RunnerError.io(function: "rmdir", path: path, errno: errno) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw RunnerError.io(function: "unlink", path: path, errno: errno) }
        }
    }

    /// Moves `from` onto `to`, replacing whatever is there (a directory is removed first).
    static func replace(_ to: String, with from: String) throws {
        if rename(from, to) == 0 { return }
        if errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR {
            try remove(to)
            if rename(from, to) == 0 { return }
        }
        throw RunnerError.io(function: "rename", path: to, errno: errno)
    }

    /// Copies a regular file's bytes (the kernel's copy_file_range: a reflink where the file system can),
    /// creating `to` with `mode`.
    static func copyFile(_ from: String, to: String, mode: mode_t = 0o644) throws {
        let src = open(from, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw RunnerError.io(function: "open", path: from, errno: errno) }
        defer { close(src) }
        var st = stat()
        guard fstat(src, &st) == 0 else { throw RunnerError.io(function: "fstat", path: from, errno: errno) }
        let dst = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard dst >= 0 else { throw RunnerError.io(function: "open", path: to, errno: errno) }
        defer { close(dst) }
        var left = Int(st.st_size)
        var fallback = false
        while left > 0 && !fallback {
            let n = systemCopyFileRange(src, nil, dst, nil, left, 0)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP { fallback = true; break }
                throw RunnerError.io(function: "copy_file_range", path: to, errno: errno)
            }
            if n == 0 { break }
            left -= n
        }
        if fallback {
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var offset = off_t(Int(st.st_size) - left)
            while true {
                let n = pread(src, &buffer, buffer.count, offset)
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw RunnerError.io(function: "pread", path: from, errno: errno) }
                if n == 0 { break }
                guard pwrite(dst, buffer, n, offset) == n else { throw RunnerError.io(function: "pwrite", path: to, errno: errno) }
                offset += off_t(n)
            }
        }
    }
}

/// glibc's copy_file_range(2) (declared only under _GNU_SOURCE, so Glibc's module does not show it).
@_silgen_name("copy_file_range")
private func systemCopyFileRange(_ fdIn: Int32, _ offIn: UnsafeMutablePointer<Int64>?, _ fdOut: Int32,
                                 _ offOut: UnsafeMutablePointer<Int64>?, _ length: Int, _ flags: UInt32) -> Int
