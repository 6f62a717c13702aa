// Content hashes of workspace paths. A regular file's digest is remembered against (device, inode, size,
// mtime ns, ctime ns): an unchanged file is never read again, and any edit changes ctime even when the
// editor puts size and mtime back. A directory's digest is XXH3-128 of its sorted listing of (relative
// path, kind, content digest); symbolic links inside it count by their target text.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a path holds, hashed.
public struct PathHash: Hashable, Sendable, CustomStringConvertible {
    /// A regular file, a regular file with its owner's execute bit set (a script an output must restore
    /// as runnable), or a directory.
    public enum Kind: String, Sendable, Codable { case file, executable, directory }
    public var kind: Kind
    public var digest: Digest

    /// `3fa9...` for a file, `x:3fa9...` for an executable file, `dir:3fa9...` for a directory (the form
    /// records keep).
    public var description: String {
        switch kind {
        case .file: return digest.hex
        case .executable: return "x:" + digest.hex
        case .directory: return "dir:" + digest.hex
        }
    }

    public init(kind: Kind, digest: Digest) {
        self.kind = kind
        self.digest = digest
    }

    public init?(_ text: String) {
        if text.hasPrefix("dir:") {
            guard let d = Digest(hex: String(text.dropFirst(4))) else { return nil }
            self.init(kind: .directory, digest: d)
        } else if text.hasPrefix("x:") {
            guard let d = Digest(hex: String(text.dropFirst(2))) else { return nil }
            self.init(kind: .executable, digest: d)
        } else {
            guard let d = Digest(hex: text) else { return nil }
            self.init(kind: .file, digest: d)
        }
    }
}

/// One entry of a directory listing; `digest` is nil for a subdirectory.
public struct DirectoryEntry: Hashable, Sendable {
    public enum Kind: String, Sendable { case file = "f", executable = "x", symlink = "l", directory = "d" }
    public var path: String
    public var kind: Kind
    public var digest: Digest?
}

/// A file's identity for the memo; any write changes at least ctime.
struct StatKey: Hashable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var mtime: Int64
    var ctime: Int64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }

    init(device: UInt64, inode: UInt64, size: Int64, mtime: Int64, ctime: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.mtime = mtime
        self.ctime = ctime
    }
}

/// The memo, kept in `.salt/memo` as appended lines `device inode size mtime ctime digest`; thread-safe.
final class HashMemo: @unchecked Sendable {
    let path: String?
    private var entries: [StatKey: Digest] = [:]
    private var added: [(StatKey, Digest)] = []
    private var used = Set<StatKey>()
    private var linesOnDisk = 0
    private let lock = NSLock()

    /// A memo backed by `path` (nil: in memory only).
    init(path: String?) {
        self.path = path
        guard let path, let data = FileManager.default.contents(atPath: path) else { return }
        data.withUnsafeBytes { raw in
            var fields: [Int64] = []
            var hexStart = 0
            var value: Int64 = 0
            var lineStart = 0
            for (i, c) in raw.enumerated() {
                if c == UInt8(ascii: "\n") {
                    linesOnDisk += 1
                    if fields.count == 5, i - hexStart == 32,
                       let d = Digest(hex: String(decoding: UnsafeRawBufferPointer(rebasing: raw[hexStart..<i]), as: UTF8.self)) {
                        entries[StatKey(device: UInt64(bitPattern: fields[0]), inode: UInt64(bitPattern: fields[1]), size: fields[2], mtime: fields[3], ctime: fields[4])] = d
                    }
                    fields.removeAll(keepingCapacity: true)
                    value = 0
                    lineStart = i + 1
                    hexStart = lineStart
                } else if c == UInt8(ascii: " ") {
                    fields.append(value)
                    value = 0
                    hexStart = i + 1
                } else if fields.count < 5 {
                    value = value &* 10 &+ Int64(c) &- 48
                }
            }
            _ = lineStart
        }
    }

    func lookup(_ key: StatKey) -> Digest? {
        lock.lock(); defer { lock.unlock() }
        let d = entries[key]
        if d != nil { used.insert(key) }
        return d
    }

    func insert(_ key: StatKey, _ digest: Digest) {
        lock.lock(); defer { lock.unlock() }
        if entries[key] == digest { return }
        entries[key] = digest
        used.insert(key)
        added.append((key, digest))
    }

    /// Appends new entries; rewrites the file with only the entries used this time once it holds many stale lines.
    func save(temporaryDirectory: String, allowCompaction: Bool) throws {
        lock.lock(); defer { lock.unlock() }
        guard let path, !added.isEmpty else { return }
        func line(_ k: StatKey, _ d: Digest) -> String {
            "\(Int64(bitPattern: k.device)) \(Int64(bitPattern: k.inode)) \(k.size) \(k.mtime) \(k.ctime) \(d.hex)\n"
        }
        if allowCompaction && linesOnDisk > 100_000 && linesOnDisk > 4 * used.count {
            var text = ""
            for k in used { if let d = entries[k] { text += line(k, d) } }
            try AtomicFile.write(Data(text.utf8), to: path, temporaryDirectory: temporaryDirectory)
            linesOnDisk = used.count
        } else {
            var text = ""
            for (k, d) in added { text += line(k, d) }
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw RunnerError.io(function: "open", path: path, errno: errno) }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            guard write(fd, bytes, bytes.count) == bytes.count else { throw RunnerError.io(function: "write", path: path, errno: errno) }
            linesOnDisk += added.count
        }
        added.removeAll()
    }
}

/// Hashes files and directories through the memo. Thread-safe.
final class FileHasher: @unchecked Sendable {
    let memo: HashMemo
    /// A digest is remembered only when the file is older than this (seconds): file timestamps come from
    /// a coarse clock, so a file written within the same tick as our read could change without changing
    /// its mtime or ctime (git's "racy" case).
    static let racyWindow: Int64 = 50_000_000

    init(memo: HashMemo) { self.memo = memo }

    /// The hash of what is at `path` (following a symbolic link at the top), or nil when nothing is there.
    func hash(_ path: String) throws -> PathHash? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw RunnerError.io(function: "stat", path: path, errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            return PathHash(kind: .directory, digest: try directory(path).digest)
        }
        return PathHash(kind: st.st_mode & S_IXUSR != 0 ? .executable : .file, digest: try file(path, st))
    }

    /// A regular file's digest, from the memo when its identity is unchanged.
    func file(_ path: String, _ st: stat) throws -> Digest {
        let key = StatKey(st)
        if let d = memo.lookup(key) { return d }
        let d = try ContentHash.file(at: path)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowNs = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        if nowNs - max(key.mtime, key.ctime) > Self.racyWindow { memo.insert(key, d) }
        return d
    }

    /// A directory's digest and its listing (sorted by path bytes, every level included).
    func directory(_ path: String) throws -> (digest: Digest, entries: [DirectoryEntry]) {
        var entries: [DirectoryEntry] = []
        try walk(path, prefix: "", into: &entries)
        entries.sort { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        return (Self.directoryDigest(entries), entries)
    }

    static func directoryDigest(_ entries: [DirectoryEntry]) -> Digest {
        var bytes = Array("salt-dir-v1\0".utf8)
        for e in entries {
            bytes.append(e.kind.rawValue.utf8.first!)
            let p = Array(e.path.utf8)
            withUnsafeBytes(of: UInt64(p.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: p)
            (e.digest ?? Digest(high: 0, low: 0)).append(to: &bytes)
        }
        return ContentHash.digest(bytes)
    }

    private func walk(_ dir: String, prefix: String, into entries: inout [DirectoryEntry]) throws {
        guard let d = opendir(dir) else { throw RunnerError.io(function: "opendir", path: dir, errno: errno) }
        defer { closedir(d) }
        while let ent = readdir(d) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let full = dir + "/" + name
            let rel = prefix.isEmpty ? name : prefix + "/" + name
            var st = stat()
            guard lstat(full, &st) == 0 else { throw RunnerError.io(function: "lstat", path: full, errno: errno) }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                entries.append(DirectoryEntry(path: rel, kind: .directory, digest: nil))
                try walk(full, prefix: rel, into: &entries)
            case S_IFLNK:
                var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(full, &buffer, buffer.count)
                guard n >= 0 else { throw RunnerError.io(function: "readlink", path: full, errno: errno) }
                entries.append(DirectoryEntry(path: rel, kind: .symlink, digest: ContentHash.digest(Array(buffer[0..<n]))))
            case S_IFREG:
                let exec = st.st_mode & S_IXUSR != 0
                entries.append(DirectoryEntry(path: rel, kind: exec ? .executable : .file, digest: try file(full, st)))
            default:
                continue  // sockets, fifos, devices: not content
            }
        }
    }
}
