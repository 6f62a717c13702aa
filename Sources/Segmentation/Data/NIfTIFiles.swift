// Finding NIfTI files in folders, naming cases after them, and turning label volumes into class maps.
import Foundation
import NIfTI

enum NIfTIFiles {
    /// True for names salt reads as volumes.
    static func isVolume(_ name: String) -> Bool { !name.hasPrefix(".") && (name.hasSuffix(".nii.gz") || name.hasSuffix(".nii")) }

    /// The case name of a file: its name without .nii.gz / .nii.
    static func caseName(_ url: URL) -> String {
        let n = url.lastPathComponent
        if n.hasSuffix(".nii.gz") { return String(n.dropLast(7)) }
        if n.hasSuffix(".nii") { return String(n.dropLast(4)) }
        return n
    }

    /// NIfTI files directly inside `folder`, sorted by name.
    static func list(_ folder: URL, what: String) throws -> [URL] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir) else {
            throw SegmentationError.missing(path: folder.path, what: "the folder of \(what)")
        }
        guard isDir.boolValue else { return [folder] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw SegmentationError.unreadable(path: folder.path, reason: error.localizedDescription)
        }
        let files = names.filter(isVolume).sorted().map { folder.appendingPathComponent($0) }
        guard !files.isEmpty else { throw SegmentationError.emptyFolder(path: folder.path, expected: "\(what) (.nii.gz or .nii files)") }
        return files
    }

    /// Reads a volume, naming the case in errors is the caller's job (NIfTI errors already name the file).
    static func read(_ url: URL) throws -> Volume { try Volume.read(url.path) }

    /// Checks that two volumes share a grid: same shape, affines within `tolerance` mm.
    static func checkSameGrid(_ a: Volume, _ b: Volume, caseName: String, aFile: String, bFile: String, tolerance: Double = 1e-3) throws {
        if a.shape != b.shape {
            throw SegmentationError.gridMismatch(caseName: caseName, file: aFile, other: bFile,
                                                 detail: "shape \(a.shape) vs \(b.shape)")
        }
        let d = a.affine.maxDifference(b.affine)
        if d > tolerance {
            throw SegmentationError.gridMismatch(caseName: caseName, file: aFile, other: bFile,
                                                 detail: "affines differ by up to \(String(format: "%.4g", d)) mm")
        }
    }

    /// Voxel values as bytes; nil index of the first value that is not a whole number in 0...255.
    static func bytes(_ voxels: [Float]) -> (values: [UInt8], bad: Float?) {
        var out = [UInt8](repeating: 0, count: voxels.count)
        for i in voxels.indices {
            let v = voxels[i]
            guard v >= 0, v <= 255, v == v.rounded() else { return (out, v) }
            out[i] = UInt8(v)
        }
        return (out, nil)
    }
}
