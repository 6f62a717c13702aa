// The content-addressed cache `.salt/cache`: file contents stored by digest (copied in, never linked, so
// editing a workspace file can never change a cached object), directories as a manifest of their entries,
// symbolic links as their target text. Restoring writes to `.salt/tmp` and renames into place.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct Cache {
    let workspace: Workspace
    let hasher: FileHasher

    /// Stores what is at `absolutePath` (whose hash is `hash`) unless the cache already has it.
    func store(_ absolutePath: String, hash: PathHash) throws {
        switch hash.kind {
        case .file, .executable:
            try storeObject(hash.digest) { tmp in try FileSystemOps.copyFile(absolutePath, to: tmp, mode: 0o444) }
        case .directory:
            if FileSystemOps.exists(workspace.manifestPath(hash.digest)) { return }
            let (digest, entries) = try hasher.directory(absolutePath)
            for e in entries {
                guard let d = e.digest else { continue }
                let source = absolutePath + "/" + e.path
                if e.kind == .symlink {
                    let target = try Self.readLink(source)
                    try storeObject(d) { tmp in try Data(target.utf8).write(to: URL(fileURLWithPath: tmp)) }
                } else {
                    try storeObject(d) { tmp in try FileSystemOps.copyFile(source, to: tmp, mode: 0o444) }
                }
            }
            var text = ""
            for e in entries {
                precondition(!e.path.contains("\n"), "file name with a newline in \(absolutePath): \(e.path)")
                text += "\(e.kind.rawValue) \(e.digest?.hex ?? "-") \(e.path)\n"
            }
            // The directory may have changed since it was hashed; the manifest is filed under what it lists.
            let listed = digest == hash.digest ? hash.digest : digest
            try FileSystemOps.makeDirectories((workspace.manifestPath(listed) as NSString).deletingLastPathComponent)
            try AtomicFile.write(Data(text.utf8), to: workspace.manifestPath(listed), temporaryDirectory: workspace.temporaryDirectory)
        }
    }

    private func storeObject(_ digest: Digest, write: (String) throws -> Void) throws {
        let path = workspace.objectPath(digest)
        if FileSystemOps.exists(path) { return }
        let tmp = workspace.temporaryDirectory + "/" + UUID().uuidString
        try write(tmp)
        try FileSystemOps.makeDirectories((path as NSString).deletingLastPathComponent)
        guard rename(tmp, path) == 0 else { throw RunnerError.io(function: "rename", path: path, errno: errno) }
    }

    /// True when every object needed to restore `hash` is in the cache.
    func has(_ hash: PathHash) -> Bool {
        switch hash.kind {
        case .file, .executable: return FileSystemOps.exists(workspace.objectPath(hash.digest))
        case .directory:
            guard let entries = try? manifest(hash.digest) else { return false }  // absent or unreadable: not restorable
            return entries.allSatisfy { e in e.digest.map { FileSystemOps.exists(workspace.objectPath($0)) } ?? true }
        }
    }

    func manifest(_ digest: Digest) throws -> [DirectoryEntry] {
        let path = workspace.manifestPath(digest)
        guard let data = FileManager.default.contents(atPath: path) else { throw RunnerError.cacheObjectMissing(digest.hex, path: path) }
        var entries: [DirectoryEntry] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let kind = DirectoryEntry.Kind(rawValue: String(parts[0])) else {
                throw RunnerError.corruptRecord(path, reason: "bad line '\(line)'")
            }
            entries.append(DirectoryEntry(path: String(parts[2]), kind: kind, digest: Digest(hex: String(parts[1]))))
        }
        return entries
    }

    /// Puts the cached content of `hash` at `absolutePath`, replacing whatever is there.
    func restore(_ hash: PathHash, to absolutePath: String) throws {
        let tmp = workspace.temporaryDirectory + "/" + UUID().uuidString
        switch hash.kind {
        case .file, .executable:
            try FileSystemOps.copyFile(workspace.objectPath(hash.digest), to: tmp, mode: hash.kind == .executable ? 0o755 : 0o644)
        case .directory:
            try FileSystemOps.makeDirectories(tmp)
            for e in try manifest(hash.digest) {
                let target = tmp + "/" + e.path
                switch e.kind {
                case .directory: try FileSystemOps.makeDirectories(target)
                case .file, .executable:
                    try FileSystemOps.copyFile(workspace.objectPath(e.digest!), to: target, mode: e.kind == .executable ? 0o755 : 0o644)
                case .symlink:
                    let link = String(decoding: try Data(contentsOf: URL(fileURLWithPath: workspace.objectPath(e.digest!))), as: UTF8.self)
                    guard symlink(link, target) == 0 else { throw RunnerError.io(function: "symlink", path: target, errno: errno) }
                }
            }
        }
        try FileSystemOps.makeDirectories((absolutePath as NSString).deletingLastPathComponent)
        try FileSystemOps.replace(absolutePath, with: tmp)
    }

    static func readLink(_ path: String) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count)
        guard n >= 0 else { throw RunnerError.io(function: "readlink", path: path, errno: errno) }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}
