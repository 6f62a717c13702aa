// The header summary `salt info` prints: what a person wants to know about a NIfTI file at a glance
// (shape, datatype, spacing, orientation, affine, value range, label names), as text or as JSON.
import Foundation

/// A summary of one NIfTI file.
public struct VolumeSummary {
    public var path: String
    public var volume: Volume
    public var statistics: VolumeStatistics

    /// Reads `path` (a 4D series is accepted here: it is summarised, not processed).
    public init(path: String) throws {
        self.path = path
        self.volume = try Volume.read(path, allowingTimeSeries: true)
        self.statistics = VolumeStatistics(volume.voxels)
    }

    var format: String {
        let h = volume.header
        var parts = ["NIfTI-\(h.version)", h.isPair ? ".hdr/.img pair" : "single file"]
        if path.lowercased().hasSuffix(".gz") { parts.append("gzip") }
        parts.append(h.bigEndian ? "big-endian" : "little-endian")
        return parts.joined(separator: ", ")
    }

    /// Several lines for a person.
    public var text: String {
        let h = volume.header
        let stats = statistics
        func list(_ xs: [Double], _ sep: String = " x ") -> String { xs.map(formatNumber).joined(separator: sep) }
        var lines = [path]
        func row(_ name: String, _ value: String) { lines.append("  " + name.padding(toLength: 13, withPad: " ", startingAt: 0) + value) }
        row("format", format)
        row("shape", volume.shape.map(String.init).joined(separator: " x ") + (volume.shape.count == 4 ? " (4D series)" : ""))
        row("datatype", volume.datatype.rawValue)
        row("spacing", list(volume.spacing) + " mm" + (volume.shape.count == 4 ? ", \(formatNumber(h.pixdim[4])) per volume" : ""))
        row("orientation", volume.orientation)
        row("affine", "from \(h.affineSource) (qform_code \(h.qformCode) \(NIfTIHeader.xformName(h.qformCode)), sform_code \(h.sformCode) \(NIfTIHeader.xformName(h.sformCode)))")
        let columns = volume.affine.m.prefix(3).map { $0.map(formatNumber) }
        let widths = (0..<4).map { c in columns.map { $0[c].count }.max()! }
        for r in columns {
            lines.append(String(repeating: " ", count: 15) + (0..<4).map { String(repeating: " ", count: widths[$0] - r[$0].count) + r[$0] }.joined(separator: "  "))
        }
        if h.hasScaling { row("scaling", "value = \(formatNumber(h.sclSlope)) * raw + \(formatNumber(h.sclInter))") }
        if let lo = stats.min, let hi = stats.max {
            row("values", "min \(formatNumber(lo)), max \(formatNumber(hi)), mean \(formatNumber(stats.mean)), sd \(formatNumber(stats.standardDeviation)), nonzero \(stats.nonzeroCount) of \(stats.count)")
        } else {
            row("values", "all \(stats.count) voxels are NaN")
        }
        if stats.nanCount > 0 { row("NaN", "\(stats.nanCount) voxels") }
        if !h.descrip.isEmpty { row("description", h.descrip) }
        if !volume.labelTable.isEmpty {
            row("labels", "\(volume.labelTable.count) names")
            for key in volume.labelTable.keys.sorted() {
                let count = stats.valueCounts?[key].map { "  (\($0) voxels)" } ?? (stats.valueCounts != nil ? "  (absent)" : "")
                lines.append(String(repeating: " ", count: 15) + "\(key)".padding(toLength: 5, withPad: " ", startingAt: 0) + volume.labelTable[key]! + count)
            }
        } else if let counts = stats.valueCounts, volume.datatype.isInteger, counts.count <= 64, counts.count > 1 {
            row("distinct", counts.keys.sorted().map { "\($0)" }.joined(separator: " ") + "  (no label names)")
        }
        let other = h.extensions.filter { !($0.code == 0 && LabelTable.isLabelTable($0)) }
        if !other.isEmpty { row("extensions", other.map { "code \($0.code) (\($0.data.count) bytes)" }.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }

    /// A JSON-ready dictionary (NaN becomes null).
    public var json: [String: Any] {
        let h = volume.header
        let s = statistics
        func number(_ x: Double?) -> Any { x.map { $0.isFinite ? $0 as Any : NSNull() } ?? NSNull() }
        var out: [String: Any] = [
            "file": path,
            "format": "NIfTI-\(h.version)",
            "pair": h.isPair,
            "compressed": path.lowercased().hasSuffix(".gz"),
            "big_endian": h.bigEndian,
            "shape": volume.shape,
            "datatype": volume.datatype.rawValue,
            "spacing": volume.spacing,
            "orientation": volume.orientation,
            "affine": volume.affine.m,
            "affine_source": h.affineSource,
            "qform_code": h.qformCode,
            "sform_code": h.sformCode,
            "scl_slope": number(h.hasScaling ? h.sclSlope : 1),
            "scl_inter": number(h.hasScaling ? h.sclInter : 0),
            "description": h.descrip,
            "statistics": [
                "count": s.count, "nan_count": s.nanCount, "nonzero_count": s.nonzeroCount,
                "min": number(s.min), "max": number(s.max), "mean": number(s.mean),
                "std": number(s.standardDeviation), "sum": number(s.sum),
            ] as [String: Any],
            "label_table": Dictionary(uniqueKeysWithValues: volume.labelTable.map { ("\($0.key)", $0.value) }),
        ]
        if let counts = s.valueCounts, volume.datatype.isInteger {
            out["value_counts"] = Dictionary(uniqueKeysWithValues: counts.map { ("\($0.key)", $0.value) })
        }
        return out
    }

    /// Summaries of several files: text blocks separated by blank lines, or one JSON array (a file
    /// that cannot be read appears as {"file", "error"}). `failures` lists the files that failed.
    public static func report(paths: [String], json: Bool) -> (output: String, failures: [(path: String, error: Error)]) {
        var blocks: [String] = []
        var objects: [[String: Any]] = []
        var failures: [(String, Error)] = []
        for path in paths {
            do {
                let summary = try VolumeSummary(path: path)
                if json { objects.append(summary.json) } else { blocks.append(summary.text) }
            } catch {
                failures.append((path, error))
                if json { objects.append(["file": path, "error": "\(error)"]) }
            }
        }
        if json {
            do {
                let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                return (String(decoding: data, as: UTF8.self), failures)
            } catch {
                // Only non-JSON values make this fail, and `json` holds none (NaN is already null).
                preconditionFailure("salt info: JSON encoding failed: \(error)")
            }
        }
        return (blocks.joined(separator: "\n\n"), failures)
    }
}
