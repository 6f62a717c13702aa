// All evaluation scores of one structure in one case, with the rules for empty masks written down once.

/// Overlap and surface scores of one predicted structure against its reference.
///
/// Empty masks (every score is either a number or nil = undefined; nothing is NaN or infinite, so a mean
/// over cases can never silently take in a NaN; summaries average the defined values and count the rest):
///
/// | case                          | Dice | precision | recall | HD95, ASD (both ways) | surface Dice |
/// |-------------------------------|------|-----------|--------|-----------------------|--------------|
/// | both non-empty                | x    | x         | x      | x                     | x            |
/// | reference empty, prediction not | 0  | 0         | nil    | nil (no reference surface: DeepMind gives inf/NaN) | 0 |
/// | prediction empty, reference not | 0  | nil       | 0      | nil (nothing to measure from: DeepMind gives inf/NaN) | 0 |
/// | both empty                    | nil  | nil       | nil    | nil                   | nil          |
///
/// `status` names which row applies; reports carry it so a reader sees why a score is missing.
public struct StructureMetrics: Equatable, Sendable {
    public enum Status: String, Sendable, CaseIterable {
        case bothPresent = "ok"
        case referenceEmpty = "reference_empty"
        case predictionEmpty = "prediction_empty"
        case bothEmpty = "both_empty"
    }

    /// The surface-Dice tolerances reported, in mm (SALT and the issue: 1, 2, 3 mm).
    public static let defaultTolerances: [Double] = [1, 2, 3]

    public var status: Status
    public var counts: OverlapCounts
    public var dice: Double?
    public var precision: Double?
    public var recall: Double?
    /// Robust Hausdorff distance at the 95th percentile, mm.
    public var hausdorff95: Double?
    /// Area-weighted average distance from the reference surface to the predicted one, mm.
    public var averageSurfaceDistanceGroundTruthToPrediction: Double?
    /// Area-weighted average distance from the predicted surface to the reference one, mm.
    public var averageSurfaceDistancePredictionToGroundTruth: Double?
    /// Surface Dice at each of `tolerances` (same order).
    public var surfaceDice: [Double?]
    public var tolerances: [Double]

    /// Scores `prediction` against `groundTruth` with voxel `spacing` (mm along the mask axes).
    /// `surface: false` skips the surface scores (they stay nil), for a quick Dice-only pass.
    public init(groundTruth: BinaryMask, prediction: BinaryMask, spacing: [Double],
                tolerances: [Double] = StructureMetrics.defaultTolerances, surface: Bool = true) {
        let counts = OverlapCounts(groundTruth: groundTruth, prediction: prediction)
        self.counts = counts
        self.tolerances = tolerances
        dice = counts.dice
        precision = counts.precision
        recall = counts.recall
        let g = counts.groundTruthVolume > 0, p = counts.predictionVolume > 0
        status = g ? (p ? .bothPresent : .predictionEmpty) : (p ? .referenceEmpty : .bothEmpty)
        surfaceDice = tolerances.map { _ in nil }
        guard surface, status != .bothEmpty else { return }
        if status != .bothPresent {
            // One surface is empty: no distance is defined, and no surfel lies within any tolerance.
            surfaceDice = tolerances.map { _ in 0 }
            return
        }
        let distances = SurfaceDistances(groundTruth: groundTruth, prediction: prediction, spacing: spacing)
        hausdorff95 = distances.robustHausdorff(percent: 95)
        let asd = distances.averageSurfaceDistance
        averageSurfaceDistanceGroundTruthToPrediction = asd.groundTruthToPrediction
        averageSurfaceDistancePredictionToGroundTruth = asd.predictionToGroundTruth
        surfaceDice = tolerances.map { distances.surfaceDice(tolerance: $0) }
    }
}
