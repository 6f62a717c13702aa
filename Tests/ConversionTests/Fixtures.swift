// Builders for tiny raw datasets in each publisher's layout: synthetic volumes written with the NIfTI
// writer, CSV and JSON files, and helpers to read the converted output back.
import Foundation
import NIfTI
import TestSupport
@testable import Conversion

enum Fixture {
    /// A fresh temporary folder (removed by the caller's `defer`).
    static func folder(_ label: String) throws -> String {
        try Shared.temporaryDirectory("salt-conv-\(label)").path
    }

    /// The repository's conversion/ folder.
    static var specs: String { Shared.repositoryRoot.appendingPathComponent("conversion").path }

    /// Loads conversion/<name>.yaml; `root` resolves classes-from (a temporary repository with a catalogue).
    static func spec(_ name: String, root: String? = nil) throws -> DatasetSpec {
        try DatasetSpec.load(file: specs + "/" + name + ".yaml", repositoryRoot: root)
    }

    /// An axis-aligned affine with the given spacing and origin (RAS+).
    static func affine(spacing: [Double] = [1, 1, 1], origin: [Double] = [0, 0, 0]) -> Affine {
        Affine([[spacing[0], 0, 0, origin[0]], [0, spacing[1], 0, origin[1]], [0, 0, spacing[2], origin[2]], [0, 0, 0, 1]])
    }

    /// Writes a volume, creating folders; values from `f(i, j, k)`.
    @discardableResult
    static func write(_ path: String, shape: [Int], affine: Affine = affine(), datatype: NIfTIDataType = .int16,
                      labelTable: [Int: String] = [:], _ f: (Int, Int, Int) -> Float) throws -> Volume {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var v = [Float]()
        for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] { v.append(f(i, j, k)) } } }
        let vol = Volume(shape: shape, voxels: v, affine: affine, datatype: datatype, labelTable: labelTable)
        try vol.write(to: path)
        return vol
    }

    static func text(_ path: String, _ content: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A CT-like image: -1000 outside a box, 40 inside, integer-valued.
    static func ct(_ i: Int, _ j: Int, _ k: Int) -> Float { Float(i + 10 * j + 100 * k) - 1000 }

    /// Converts quietly.
    @discardableResult
    static func convert(_ spec: DatasetSpec, _ source: String, _ output: String, _ options: ConversionOptions = ConversionOptions()) throws -> ConversionReport {
        try Converter.convert(spec: spec, source: source, output: output, options: options, progress: { _ in })
    }

    /// Lines of a text file.
    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Relative paths of every file below `root`, sorted.
    static func files(_ root: String) -> [String] {
        let e = FileManager.default.enumerator(atPath: root)
        var out: [String] = []
        while let p = e?.nextObject() as? String {
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + p, isDirectory: &d), !d.boolValue { out.append(p) }
        }
        return out.sorted()
    }

    /// Entries of `folder` whose names start with `prefix` (leftover temporaries).
    static func entries(_ folder: String, prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(prefix) }
    }

    /// A temporary "repository" whose labels/<name> holds the given classes (for classes-from).
    static func catalogue(_ name: String, _ classes: [(String, String)]) throws -> String {
        let root = try folder("repo")
        try text(root + "/labels/\(name)/labels.txt", classes.map { $0.0 + "\n" }.joined())
        try text(root + "/labels/\(name)/tree-labels.txt", classes.map { $0.1 + "\n" }.joined())
        return root
    }
}
