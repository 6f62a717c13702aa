// Surface distances between two binary masks, as DeepMind's surface-distance library defines them
// (github.com/google-deepmind/surface-distance, metrics.py): surfels from the 2x2x2 neighbour codes of each
// mask, the distance from each surfel of one mask to the nearest surfel of the other, and the area-weighted
// statistics built on them (robust Hausdorff, average surface distance, surface overlap and surface Dice).
import Tensor

/// The closest distances (mm) from every surfel of each mask to the other mask's surface, with the surfels'
/// areas (mm^2), each list sorted by (distance, area) as the reference sorts them.
///
/// Definitions (DeepMind `compute_surface_distances`): the masks are cropped to the bounding box of their
/// union plus one empty voxel on each side; every 2x2x2 cube of the padded grid gets a neighbour code (see
/// `SurfelAreaTable`); a cube whose code is neither 0 nor 255 holds surface, with the code's area; the
/// distance of such a cube is the exact Euclidean distance, with the voxel spacing, from its position to the
/// nearest surface cube of the other mask. When one mask is empty its lists are empty and every distance in
/// the other list is +infinity; when both are empty all four lists are empty.
public struct SurfaceDistances: Sendable {
    public var distancesGroundTruthToPrediction: [Double] = []
    public var distancesPredictionToGroundTruth: [Double] = []
    public var surfelAreasGroundTruth: [Double] = []
    public var surfelAreasPrediction: [Double] = []

    public init(distancesGroundTruthToPrediction: [Double], distancesPredictionToGroundTruth: [Double],
                surfelAreasGroundTruth: [Double], surfelAreasPrediction: [Double]) {
        self.distancesGroundTruthToPrediction = distancesGroundTruthToPrediction
        self.distancesPredictionToGroundTruth = distancesPredictionToGroundTruth
        self.surfelAreasGroundTruth = surfelAreasGroundTruth
        self.surfelAreasPrediction = surfelAreasPrediction
    }

    /// Surface distances of `prediction` against `groundTruth` (same shape) with voxel `spacing` in mm along
    /// the mask axes. Works on the bounding box of the two masks, so cost follows the structures' size, not
    /// the scan's.
    public init(groundTruth: BinaryMask, prediction: BinaryMask, spacing: [Double]) {
        precondition(groundTruth.shape == prediction.shape, "masks of shapes \(groundTruth.shape) and \(prediction.shape)")
        precondition(spacing.count == 3 && spacing.allSatisfy { $0 > 0 }, "spacing must be 3 positive values, got \(spacing)")
        guard let box = BinaryMask.boundingBox(groundTruth, prediction) else { return }
        // The padded grid: codes at p cover voxels p-1 and p on each axis, so the grid is one longer than the box.
        let grid = (0..<3).map { box.upper[$0] - box.lower[$0] + 2 }
        let areaOfCode = SurfelAreaTable.areas(spacing: spacing)
        let codesGT = Self.neighbourCodes(groundTruth, box: box, grid: grid)
        let codesPred = Self.neighbourCodes(prediction, box: box, grid: grid)
        let bordersGT = codesGT.map { $0 != 0 && $0 != 255 ? UInt8(1) : 0 }
        let bordersPred = codesPred.map { $0 != 0 && $0 != 255 ? UInt8(1) : 0 }

        // Distances from one mask's surfels to the other's surface; the transform of an empty surface is +inf.
        func distances(from borders: [UInt8], codes: [UInt8], to target: [UInt8]) -> (distances: [Double], areas: [Double]) {
            let squared = target.withUnsafeBufferPointer {
                DistanceTransform.squaredDistances(sites: $0, shape: grid, spacing: spacing)
            }
            var pairs: [(Double, Double)] = []
            for p in borders.indices where borders[p] != 0 {
                pairs.append((squared[p].squareRoot(), areaOfCode[Int(codes[p])]))
            }
            pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            return (pairs.map(\.0), pairs.map(\.1))
        }
        let gt = distances(from: bordersGT, codes: codesGT, to: bordersPred)
        let pred = distances(from: bordersPred, codes: codesPred, to: bordersGT)
        distancesGroundTruthToPrediction = gt.distances
        surfelAreasGroundTruth = gt.areas
        distancesPredictionToGroundTruth = pred.distances
        surfelAreasPrediction = pred.areas
    }

    /// The neighbour code of every cube of the padded grid (`grid` = box size + 1 per axis, axis 0 fastest):
    /// code(p) = sum over (a, b, c) in {0,1}^3 of mask[box.lower + p - 1 + (a, b, c)] << (7 - (4a + 2b + c)),
    /// voxels outside the box counting as 0 (scipy's `correlate` with the 2x2x2 kernel, mode constant).
    static func neighbourCodes(_ mask: BinaryMask, box: (lower: [Int], upper: [Int]), grid: [Int]) -> [UInt8] {
        let (g0, g1, g2) = (grid[0], grid[1], grid[2])
        let (n0, n1) = (mask.shape[0], mask.shape[1])
        let (l0, l1, l2) = (box.lower[0], box.lower[1], box.lower[2])
        var codes = [UInt8](repeating: 0, count: g0 * g1 * g2)
        mask.values.withUnsafeBufferPointer { m in
            codes.withUnsafeMutableBufferPointer { out in
                let out = out
                let inner = g0 - 1  // box voxels along axis 0; padded-grid coordinate q maps to voxel l + q
                Parallel.forRanges(g2, oversubscribe: 4) { slices in
                    for p2 in slices {
                        for p1 in 0..<g1 {
                            // The four box rows (p1-1+b, p2-1+c), nil outside the box, with their weights for
                            // offset a = 0 (voxel p0-1) and a = 1 (voxel p0).
                            var rows: [(start: Int, low: UInt8, high: UInt8)] = []
                            for b in 0..<2 {
                                for c in 0..<2 {
                                    let q1 = p1 - 1 + b, q2 = p2 - 1 + c
                                    if q1 < 0 || q2 < 0 || q1 >= g1 - 1 || q2 >= g2 - 1 { continue }
                                    rows.append((l0 + n0 * ((l1 + q1) + n1 * (l2 + q2)),
                                                 UInt8(1 << (7 - (2 * b + c))), UInt8(1 << (3 - (2 * b + c)))))
                                }
                            }
                            let row = g0 * (p1 + g1 * p2)
                            for p0 in 0..<g0 {
                                var code: UInt8 = 0
                                for r in rows {
                                    if p0 >= 1 && m[r.start + p0 - 1] != 0 { code |= r.low }
                                    if p0 < inner && m[r.start + p0] != 0 { code |= r.high }
                                }
                                out[row + p0] = code
                            }
                        }
                    }
                }
            }
        }
        return codes
    }

    // MARK: - Statistics (DeepMind's definitions, including its inf and NaN for empty surfaces)

    /// Area-weighted mean distance (mm) from the ground-truth surface to the predicted one and back.
    /// An empty surface on the far side gives +infinity; an empty surface on the near side gives NaN (0/0).
    public var averageSurfaceDistance: (groundTruthToPrediction: Double, predictionToGroundTruth: Double) {
        (Self.weightedMean(distancesGroundTruthToPrediction, surfelAreasGroundTruth),
         Self.weightedMean(distancesPredictionToGroundTruth, surfelAreasPrediction))
    }

    /// The `percent` percentile of the surfel-area-weighted distances, the larger of the two directions
    /// (HD95 at 95). A direction with no surfels counts as +infinity.
    public func robustHausdorff(percent: Double) -> Double {
        max(Self.percentile(distancesGroundTruthToPrediction, surfelAreasGroundTruth, percent),
            Self.percentile(distancesPredictionToGroundTruth, surfelAreasPrediction, percent))
    }

    /// Fraction of each surface's area within `tolerance` mm of the other surface: (ground truth, prediction).
    public func surfaceOverlap(tolerance: Double) -> (groundTruth: Double, prediction: Double) {
        (Self.sumWithin(distancesGroundTruthToPrediction, surfelAreasGroundTruth, tolerance) / NumPy.sum(surfelAreasGroundTruth),
         Self.sumWithin(distancesPredictionToGroundTruth, surfelAreasPrediction, tolerance) / NumPy.sum(surfelAreasPrediction))
    }

    /// Surface Dice at `tolerance` mm: the area of both surfaces within the tolerance of the other, over the
    /// total area of both (NaN when both masks are empty).
    public func surfaceDice(tolerance: Double) -> Double {
        let within = Self.sumWithin(distancesGroundTruthToPrediction, surfelAreasGroundTruth, tolerance)
            + Self.sumWithin(distancesPredictionToGroundTruth, surfelAreasPrediction, tolerance)
        return within / (NumPy.sum(surfelAreasGroundTruth) + NumPy.sum(surfelAreasPrediction))
    }

    private static func weightedMean(_ d: [Double], _ a: [Double]) -> Double {
        NumPy.sum(zip(d, a).map { $0 * $1 }) / NumPy.sum(a)
    }

    private static func sumWithin(_ d: [Double], _ a: [Double], _ tolerance: Double) -> Double {
        NumPy.sum(zip(d, a).compactMap { $0 <= tolerance ? $1 : nil })
    }

    /// distances[min(searchsorted(cumsum(areas) / sum(areas), percent / 100), n - 1)], +inf when empty.
    private static func percentile(_ d: [Double], _ a: [Double], _ percent: Double) -> Double {
        if d.isEmpty { return .infinity }
        let total = NumPy.sum(a), target = percent / 100
        var running = 0.0
        for i in a.indices {
            running += a[i]
            if running / total >= target { return d[i] }  // searchsorted, side "left": first i with cum >= target
        }
        return d[d.count - 1]
    }
}

/// numpy's own summation order, so that sums agree with the reference to the last bit.
enum NumPy {
    /// `np.sum` of a contiguous float64 array: pairwise summation (numpy `pairwise_sum`, blocks of 128
    /// summed with eight accumulators).
    static func sum(_ a: [Double]) -> Double {
        a.withUnsafeBufferPointer { pairwise($0.baseAddress, $0.count) }
    }

    private static func pairwise(_ a: UnsafePointer<Double>?, _ n: Int) -> Double {
        guard let a, n > 0 else { return 0 }
        if n < 8 {
            var res = 0.0
            for i in 0..<n { res += a[i] }
            return res
        } else if n <= 128 {
            var r = (0..<8).map { a[$0] }
            var i = 8
            while i < n - (n % 8) {
                for t in 0..<8 { r[t] += a[i + t] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n { res += a[i]; i += 1 }
            return res
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return pairwise(a, n2) + pairwise(a + n2, n - n2)
        }
    }
}
