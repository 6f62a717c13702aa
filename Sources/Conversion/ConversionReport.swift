// What a conversion did: cases per split, repairs, and the label values found against those expected.
// Its `summary` is printed at the end and written to `<output>/summary.txt` (no timestamps, so the same
// source gives the same file).
import Foundation

public struct ConvertedCase: Sendable {
    public var name: String
    public var split: Split
    /// Output grid.
    public var shape: [Int]
    public var spacing: [Double]
    /// Voxels per output value (256 entries; 255 = ignore).
    public var voxelCounts: [Int]
    /// Classes the case's source declares it annotates (label table names, mask files); all for value maps.
    public var declared: Set<Int>
    /// Repairs made (header errors).
    public var fixes: [String]
}

public struct ConversionReport: Sendable {
    public var format: String
    /// Classes as written (labels.txt / tree-labels.txt).
    public var classes: [LabelClass]
    public var cases: [ConvertedCase]
    public var skippedUnlabelled: [String]
    public var orphanLabels: [String]

    public func cases(in split: Split) -> [ConvertedCase] { cases.filter { $0.split == split } }

    /// Values never found in any case although their class is annotated (path not "-").
    public var expectedButMissing: [Int] {
        classes.indices.filter { v in classes[v].isAnnotated && v != 0 && !cases.contains { $0.voxelCounts[v] > 0 } }
    }

    public var summary: String {
        var s = "converted \(cases.count) case\(cases.count == 1 ? "" : "s") of format '\(format)': "
        s += Split.allCases.map { "\($0.rawValue) \(cases(in: $0).count)" }.joined(separator: ", ") + "\n"
        if !skippedUnlabelled.isEmpty {
            s += "left out \(skippedUnlabelled.count) unlabelled case(s): \(skippedUnlabelled.prefix(10).joined(separator: ", "))"
            s += skippedUnlabelled.count > 10 ? ", ...\n" : "\n"
        }
        if !orphanLabels.isEmpty {
            s += "warning: \(orphanLabels.count) label file(s) without an image: \(orphanLabels.prefix(5).joined(separator: ", "))\n"
        }
        let fixes = cases.flatMap(\.fixes)
        if !fixes.isEmpty { s += "repaired \(fixes.count) header(s):\n" + fixes.map { "  \($0)\n" }.joined() }
        s += "label values found (value name: cases containing it / voxels; tree path):\n"
        let total = cases.reduce(0) { $0 + $1.voxelCounts.reduce(0, +) }
        for (v, c) in classes.enumerated() {
            let n = cases.filter { $0.voxelCounts[v] > 0 }.count
            let voxels = cases.reduce(0) { $0 + $1.voxelCounts[v] }
            if n == 0 && v != 0 { continue }   // absent values: listed once below when they were expected
            s += "  \(v) \(c.name): \(n)/\(cases.count) / \(voxels); \(c.path)\n"
        }
        let ignored = cases.reduce(0) { $0 + $1.voxelCounts[255] }
        if ignored > 0 {
            s += "  255 ignore: \(cases.filter { $0.voxelCounts[255] > 0 }.count)/\(cases.count) / \(ignored) (\(percent(ignored, total)) of all voxels)\n"
        }
        let missing = expectedButMissing
        if !missing.isEmpty {
            s += "warning: expected but never found: \(missing.map { "\($0) \(classes[$0].name)" }.joined(separator: ", "))\n"
        }
        return s
    }

    func percent(_ a: Int, _ b: Int) -> String {
        b == 0 ? "0%" : String(format: "%.1f%%", 100 * Double(a) / Double(b))
    }
}
