// Writing outputs so that a reader never sees half a file: write beside the target, then rename.
import Foundation

enum AtomicFile {
    /// Writes `data` to `url` through a temporary name in the same folder, then renames it into place.
    static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw SegmentationError.writeFailed(path: url.path, reason: "cannot create folder \(dir.path): \(error.localizedDescription)")
        }
        let temporary = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: temporary)
            try rename(temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)  // best effort; the real error is thrown below
            throw SegmentationError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }

    static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }

    /// A temporary path beside `url` for writers that need a path (NIfTI); rename with `commit`.
    static func temporaryPath(for url: URL) -> URL {
        let name = url.lastPathComponent
        // Keep the extension (.nii.gz) so writers that look at it still work.
        return url.deletingLastPathComponent().appendingPathComponent(".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    }

    /// Moves a finished temporary file onto `url` (replacing an older one).
    static func commit(_ temporary: URL, to url: URL) throws {
        do { try rename(temporary, to: url) } catch {
            throw SegmentationError.writeFailed(path: url.path, reason: "\(error)")
        }
    }

    /// POSIX rename: atomically replaces an existing file. (FileManager.replaceItemAt fails on Linux when
    /// it replaces a file a second time: "The file doesn't exist".)
    static func rename(_ from: URL, to: URL) throws {
        if Foundation.rename(from.path, to.path) != 0 {
            throw SegmentationError.writeFailed(path: to.path, reason: "rename from \(from.lastPathComponent): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces the directory `url` by one that `fill` writes: into a fresh temporary directory beside it,
    /// then swapped in by renames, so a reader sees either the old or the new directory whole (a run killed
    /// in between leaves `<name>.old-*` / `.tmp-*` beside it, which the next save clears).
    static func replaceDirectory(_ url: URL, fill: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent(), name = url.lastPathComponent
        let pid = ProcessInfo.processInfo.processIdentifier
        let temporary = parent.appendingPathComponent(".\(name).tmp-\(pid)"), old = parent.appendingPathComponent(".\(name).old-\(pid)")
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            if fm.fileExists(atPath: temporary.path) { try fm.removeItem(at: temporary) }
            if fm.fileExists(atPath: old.path) { try fm.removeItem(at: old) }
        } catch {
            throw SegmentationError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
        try fill(temporary)
        if fm.fileExists(atPath: url.path) { try rename(url, to: old) }
        try rename(temporary, to: url)
        do { if fm.fileExists(atPath: old.path) { try fm.removeItem(at: old) } } catch {
            throw SegmentationError.writeFailed(path: old.path, reason: "cannot remove the previous copy: \(error.localizedDescription)")
        }
    }
}
