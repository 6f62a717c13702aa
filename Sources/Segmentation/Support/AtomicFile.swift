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
            if FileManager.default.fileExists(atPath: url.path) { _ = try FileManager.default.replaceItemAt(url, withItemAt: temporary) } else {
                try FileManager.default.moveItem(at: temporary, to: url)
            }
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
        do {
            if FileManager.default.fileExists(atPath: url.path) { _ = try FileManager.default.replaceItemAt(url, withItemAt: temporary) } else {
                try FileManager.default.moveItem(at: temporary, to: url)
            }
        } catch {
            throw SegmentationError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }
}
