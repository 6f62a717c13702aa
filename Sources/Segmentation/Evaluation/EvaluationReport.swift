// The outputs of `salt evaluate`: a long-format CSV (one row per case, node and metric), a summary per
// dataset and node, and a Markdown report a person reads.
import Foundation

/// The scores of one node in one case.
public struct EvaluationRecord: Sendable {
    public var dataset: String
    public var caseName: String
    public var node: Int
    public var nodeName: String
    public var metrics: StructureMetrics

    public init(dataset: String, caseName: String, node: Int, nodeName: String, metrics: StructureMetrics) {
        self.dataset = dataset
        self.caseName = caseName
        self.node = node
        self.nodeName = nodeName
        self.metrics = metrics
    }

    /// (metric name, value or nil when undefined), in report order. Names carry their unit.
    public var values: [(String, Double?)] {
        let m = metrics
        var out: [(String, Double?)] = [
            ("tp", Double(m.counts.truePositives)), ("fp", Double(m.counts.falsePositives)), ("fn", Double(m.counts.falseNegatives)),
            ("dice", m.dice), ("precision", m.precision), ("recall", m.recall), ("hd95_mm", m.hausdorff95),
            ("asd_gt_to_pred_mm", m.averageSurfaceDistanceGroundTruthToPrediction),
            ("asd_pred_to_gt_mm", m.averageSurfaceDistancePredictionToGroundTruth),
        ]
        for (t, v) in zip(m.tolerances, m.surfaceDice) { out.append(("surface_dice_\(Self.number(t))mm", v)) }
        return out
    }

    static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}

/// Summary statistics of one metric over the cases where it is defined.
public struct MetricSummary: Sendable, Equatable {
    /// Cases where the metric is defined (others are counted by status, never averaged as NaN).
    public var count: Int
    public var mean: Double?
    public var standardDeviation: Double?
    public var median: Double?
    public var minimum: Double?
    public var maximum: Double?

    public init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else { return }
        let m = values.reduce(0, +) / Double(values.count)
        mean = m
        // Population standard deviation (numpy's default, ddof 0).
        standardDeviation = (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count)).squareRoot()
        let s = values.sorted()
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        minimum = s.first
        maximum = s.last
    }
}

public enum EvaluationReport {
    /// Long format: dataset,case,node,node_name,status,metric,value (value empty when undefined).
    public static func longCSV(_ records: [EvaluationRecord]) -> String {
        var s = "dataset,case,node,node_name,status,metric,value\n"
        for r in records {
            for (name, value) in r.values {
                s += [csv(r.dataset), csv(r.caseName), String(r.node), csv(r.nodeName), r.metrics.status.rawValue, name,
                      value.map(format) ?? ""].joined(separator: ",") + "\n"
            }
        }
        return s
    }

    /// One row per dataset, node and metric: how many cases define it and their mean, std, median, min,
    /// max, plus the case counts by status, and Dice pooled over all voxels of all cases.
    public static func summaryCSV(_ records: [EvaluationRecord]) -> String {
        var s = "dataset,node,node_name,metric,n,mean,std,median,min,max,cases,ok,reference_empty,prediction_empty,both_empty\n"
        for group in groups(records) {
            let status = statusCounts(group.records)
            let statusColumns = [String(group.records.count)] + StructureMetrics.Status.allCases.map { String(status[$0] ?? 0) }
            for (index, (name, _)) in group.records[0].values.enumerated() {
                let values = group.records.compactMap { $0.values[index].1 }
                let m = MetricSummary(values)
                let columns = [m.mean, m.standardDeviation, m.median, m.minimum, m.maximum].map { $0.map(format) ?? "" }
                s += ([csv(group.dataset), String(group.node), csv(group.nodeName), name, String(m.count)] + columns + statusColumns)
                    .joined(separator: ",") + "\n"
            }
            let pooled = group.records.map(\.metrics.counts).reduce(OverlapCounts(truePositives: 0, falsePositives: 0, falseNegatives: 0), +)
            s += ([csv(group.dataset), String(group.node), csv(group.nodeName), "dice_pooled", "1", pooled.dice.map(format) ?? "",
                   "", "", "", ""] + statusColumns).joined(separator: ",") + "\n"
        }
        return s
    }

    /// A Markdown report: per dataset a table of nodes with Dice, surface Dice, HD95 and ASD.
    public static func markdown(_ records: [EvaluationRecord], title: String = "salt evaluate") -> String {
        var s = "# \(title)\n\n"
        let cases = Set(records.map { "\($0.dataset)/\($0.caseName)" }).count
        s += "\(cases) case(s), \(records.count) (case, node) pairs. Means are over the cases where a score is defined; "
        s += "`empty` counts cases where the reference, the prediction or both lack the structure "
        s += "(Dice is 0 when exactly one is empty and undefined when both are; distances are undefined when either is).\n"
        var lastDataset: String? = nil
        for group in groups(records) {
            if group.dataset != lastDataset {
                s += "\n## \(group.dataset)\n\n"
                s += "| node | cases | Dice mean ± sd | Dice median | pooled Dice | surface Dice 2 mm | HD95 mm (median) | ASD mm (mean, both ways) | empty ref / pred / both |\n"
                s += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                lastDataset = group.dataset
            }
            let rs = group.records
            let dice = MetricSummary(rs.compactMap(\.metrics.dice))
            let nsd2 = MetricSummary(rs.compactMap { r in zip(r.metrics.tolerances, r.metrics.surfaceDice).first { $0.0 == 2 }?.1 ?? nil })
            let hd = MetricSummary(rs.compactMap(\.metrics.hausdorff95))
            let asd = MetricSummary(rs.compactMap { r -> Double? in
                guard let a = r.metrics.averageSurfaceDistanceGroundTruthToPrediction,
                      let b = r.metrics.averageSurfaceDistancePredictionToGroundTruth else { return nil }
                return (a + b) / 2
            })
            let pooled = rs.map(\.metrics.counts).reduce(OverlapCounts(truePositives: 0, falsePositives: 0, falseNegatives: 0), +)
            let status = statusCounts(rs)
            func f(_ x: Double?, _ digits: Int = 3) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "–" }
            let diceText = dice.mean.map { "\(f($0)) ± \(f(dice.standardDeviation))" } ?? "–"
            s += "| \(group.nodeName) | \(rs.count) | \(diceText) | \(f(dice.median)) | \(f(pooled.dice)) | \(f(nsd2.mean)) | \(f(hd.median, 2)) | \(f(asd.mean, 2)) | "
            s += "\(status[.referenceEmpty] ?? 0) / \(status[.predictionEmpty] ?? 0) / \(status[.bothEmpty] ?? 0) |\n"
        }
        return s
    }

    // MARK: - Helpers

    struct Group { var dataset: String; var node: Int; var nodeName: String; var records: [EvaluationRecord] }

    /// Records grouped by (dataset, node), datasets in name order, nodes in class order.
    static func groups(_ records: [EvaluationRecord]) -> [Group] {
        var index: [String: Int] = [:]
        var out: [Group] = []
        for r in records {
            let key = "\(r.dataset)\u{0}\(r.node)"
            if let i = index[key] { out[i].records.append(r) } else {
                index[key] = out.count
                out.append(Group(dataset: r.dataset, node: r.node, nodeName: r.nodeName, records: [r]))
            }
        }
        return out.sorted { ($0.dataset, $0.node) < ($1.dataset, $1.node) }
    }

    static func statusCounts(_ records: [EvaluationRecord]) -> [StructureMetrics.Status: Int] {
        var c: [StructureMetrics.Status: Int] = [:]
        for r in records { c[r.metrics.status, default: 0] += 1 }
        return c
    }

    /// Shortest text that reads back as the same Double.
    static func format(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }

    /// A CSV field, quoted when it holds a comma, quote or line break.
    static func csv(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
