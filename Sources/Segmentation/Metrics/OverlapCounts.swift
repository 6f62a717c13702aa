// Voxel overlap counts of a predicted mask against a reference mask, and the scores built from them.

/// True positives, false positives and false negatives (voxels) of one structure in one case.
public struct OverlapCounts: Equatable, Sendable {
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int

    public init(truePositives: Int, falsePositives: Int, falseNegatives: Int) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
    }

    /// Counts of `prediction` against `groundTruth` (same shape).
    public init(groundTruth: BinaryMask, prediction: BinaryMask) {
        precondition(groundTruth.shape == prediction.shape, "masks of shapes \(groundTruth.shape) and \(prediction.shape)")
        var tp = 0, fp = 0, fn = 0
        for (g, p) in zip(groundTruth.values, prediction.values) {
            if g != 0 { if p != 0 { tp += 1 } else { fn += 1 } } else if p != 0 { fp += 1 }
        }
        self.init(truePositives: tp, falsePositives: fp, falseNegatives: fn)
    }

    /// Voxels in the reference mask (tp + fn).
    public var groundTruthVolume: Int { truePositives + falseNegatives }
    /// Voxels in the predicted mask (tp + fp).
    public var predictionVolume: Int { truePositives + falsePositives }

    /// 2 tp / (2 tp + fp + fn); nil when both masks are empty (0/0).
    public var dice: Double? { ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives) }
    /// tp / (tp + fp); nil when the prediction is empty.
    public var precision: Double? { ratio(truePositives, truePositives + falsePositives) }
    /// tp / (tp + fn); nil when the reference is empty.
    public var recall: Double? { ratio(truePositives, truePositives + falseNegatives) }

    private func ratio(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }

    public static func + (a: OverlapCounts, b: OverlapCounts) -> OverlapCounts {
        OverlapCounts(truePositives: a.truePositives + b.truePositives, falsePositives: a.falsePositives + b.falsePositives,
                      falseNegatives: a.falseNegatives + b.falseNegatives)
    }
}
