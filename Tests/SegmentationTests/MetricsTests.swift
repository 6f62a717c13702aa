// Metrics against DeepMind's surface-distance library (golden values) and against plain references.
import Foundation
import Tensor
import Testing
import TestSupport
@testable import Segmentation

/// A golden [n0, n1, n2] array (last axis fastest) as a mask in NIfTI order (axis 0 fastest).
func mask(fromRowMajor values: [Double], shape: [Int]) -> BinaryMask {
    var out = [UInt8](repeating: 0, count: values.count)
    for i in 0..<shape[0] { for j in 0..<shape[1] { for k in 0..<shape[2] {
        out[i + shape[0] * (j + shape[1] * k)] = values[(i * shape[1] + j) * shape[2] + k] != 0 ? 1 : 0
    } } }
    return BinaryMask(shape: shape, values: out)
}

/// A seeded blob: voxels within an ellipsoid with a wobbly radius.
func blob(shape: [Int], centre: [Double], radii: [Double], seed: UInt64) -> BinaryMask {
    var rng = SeededRandom(seed: seed)
    let wobble = (0..<4).map { _ in rng.nextDouble() * 0.3 }
    var m = BinaryMask(shape: shape)
    for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] {
        let x = (Double(i) - centre[0]) / radii[0], y = (Double(j) - centre[1]) / radii[1], z = (Double(k) - centre[2]) / radii[2]
        let r = 1 + wobble[0] * sin(3 * x) + wobble[1] * cos(2 * y + z) + wobble[2] * sin(x * y * 4) - wobble[3] * 0.5
        if x * x + y * y + z * z <= r * r { m.values[m.index(i, j, k)] = 1 }
    } } }
    return m
}

@Suite struct MetricsTests {
    @Test func goldenSurfaceMetrics() throws {
        let file = try Shared.goldenTensors("metrics.safetensors")
        let json = try #require(try Shared.goldenJSON("metrics.json") as? [String: Any])
        let spacing = try #require(json["spacing_mm"] as? [Double])
        let pairs = try #require(json["pairs"] as? [[String: Double]])
        #expect(pairs.count == 3)
        var worst = 0.0, worstName = "", compared = 0
        for (n, expected) in pairs.enumerated() {
            let g = try file.tensor("gt\(n)"), p = try file.tensor("pred\(n)")
            let gt = mask(fromRowMajor: g.values, shape: g.shape), pred = mask(fromRowMajor: p.values, shape: p.shape)
            let m = StructureMetrics(groundTruth: gt, prediction: pred, spacing: spacing)
            #expect(m.status == .bothPresent)
            let got: [String: Double?] = [
                "dice": m.dice, "hausdorff_95": m.hausdorff95,
                "avg_surface_distance_gt_to_pred": m.averageSurfaceDistanceGroundTruthToPrediction,
                "avg_surface_distance_pred_to_gt": m.averageSurfaceDistancePredictionToGroundTruth,
                "surface_dice_1mm": m.surfaceDice[0], "surface_dice_2mm": m.surfaceDice[1], "surface_dice_3mm": m.surfaceDice[2],
            ]
            for (name, value) in expected {
                let v = try #require(got[name] ?? nil, "pair \(n): no value for \(name)")
                let d = abs(v - value)
                compared += 1
                if d >= worst { worst = d; worstName = "pair \(n) \(name): \(v) vs \(value)" }
            }
        }
        print("metrics golden: \(compared) values, largest difference \(worst) (\(worstName))")
        #expect(compared == 21)
        #expect(worst < 1e-6, "largest difference \(worst) at \(worstName)")
    }

    @Test func surfelTableComplementSymmetry() {
        // A code and its complement bound the same surface; a transcription slip would break this.
        for spacing in [[1.0, 1, 1], [0.8, 0.9, 2.5]] {
            let a = SurfelAreaTable.areas(spacing: spacing)
            #expect(a.count == 256)
            for c in 0..<256 { #expect(abs(a[c] - a[255 - c]) < 1e-12, "code \(c) at spacing \(spacing)") }
            #expect(a[0] == 0 && a[255] == 0)
        }
        // One corner voxel: a triangle with normal (1/8, 1/8, 1/8): area sqrt(3)/8 at unit spacing.
        #expect(abs(SurfelAreaTable.areas(spacing: [1, 1, 1])[1] - 3.0.squareRoot() / 8) < 1e-15)
    }

    @Test func distanceTransformMatchesBruteForce() {
        let shape = [9, 7, 6], spacing = [0.7, 1.3, 2.1]
        var rng = SeededRandom(seed: 7)
        var sites = [UInt8](repeating: 0, count: shape.reduce(1, *))
        for _ in 0..<5 { sites[rng.int(below: sites.count)] = 1 }
        let fast = sites.withUnsafeBufferPointer { DistanceTransform.squaredDistances(sites: $0, shape: shape, spacing: spacing) }
        let slow = DistanceTransform.referenceSquaredDistances(sites: sites, shape: shape, spacing: spacing)
        let worst = zip(fast, slow).map { abs($0 - $1) }.max() ?? .infinity
        print("distance transform vs brute force: largest difference \(worst)")
        #expect(worst < 1e-9)
        #expect(slow.max()! > 10)  // the case is not trivial
        let none = [UInt8](repeating: 0, count: 8).withUnsafeBufferPointer {
            DistanceTransform.squaredDistances(sites: $0, shape: [2, 2, 2], spacing: [1, 1, 1])
        }
        #expect(none.allSatisfy { $0 == .infinity })
    }

    @Test func identicalMasksScorePerfect() {
        let m = blob(shape: [20, 18, 12], centre: [9, 8, 6], radii: [6, 5, 4], seed: 3)
        #expect(m.count > 100)
        let s = StructureMetrics(groundTruth: m, prediction: m, spacing: [0.8, 0.8, 2])
        #expect(s.dice == 1 && s.precision == 1 && s.recall == 1)
        #expect(s.hausdorff95 == 0 && s.averageSurfaceDistanceGroundTruthToPrediction == 0)
        #expect(s.surfaceDice == [1, 1, 1])
    }

    @Test func shiftedCubeHasKnownDistances() {
        // A 4-voxel cube shifted by one voxel along axis 2 (spacing 2 mm there): no surfel is more than
        // 2 mm from the other surface; the caps are exactly 2 mm apart.
        var a = BinaryMask(shape: [10, 10, 10]), b = BinaryMask(shape: [10, 10, 10])
        for k in 3..<7 { for j in 3..<7 { for i in 3..<7 { a.values[a.index(i, j, k)] = 1; b.values[b.index(i, j, k + 1)] = 1 } } }
        let s = StructureMetrics(groundTruth: a, prediction: b, spacing: [1, 1, 2])
        #expect(s.dice == 0.75)
        #expect(s.hausdorff95 == 2)
        #expect(s.surfaceDice[1] == 1)   // at 2 mm every surfel touches the other surface
        #expect(s.surfaceDice[0]! < 1)    // at 1 mm the shifted caps do not
    }

    @Test func emptyMasksFollowTheDocumentedRules() {
        let m = blob(shape: [16, 16, 10], centre: [8, 8, 5], radii: [4, 4, 3], seed: 1)
        let empty = BinaryMask(shape: m.shape)
        let refEmpty = StructureMetrics(groundTruth: empty, prediction: m, spacing: [1, 1, 1])
        #expect(refEmpty.status == .referenceEmpty)
        #expect(refEmpty.dice == 0 && refEmpty.precision == 0 && refEmpty.recall == nil)
        #expect(refEmpty.hausdorff95 == nil && refEmpty.surfaceDice == [0, 0, 0])
        let predEmpty = StructureMetrics(groundTruth: m, prediction: empty, spacing: [1, 1, 1])
        #expect(predEmpty.status == .predictionEmpty)
        #expect(predEmpty.dice == 0 && predEmpty.recall == 0 && predEmpty.precision == nil)
        #expect(predEmpty.averageSurfaceDistanceGroundTruthToPrediction == nil)
        let both = StructureMetrics(groundTruth: empty, prediction: empty, spacing: [1, 1, 1])
        #expect(both.status == .bothEmpty && both.dice == nil && both.surfaceDice == [nil, nil, nil])
        // The raw DeepMind statistics keep the library's inf for an empty side.
        let raw = SurfaceDistances(groundTruth: m, prediction: empty, spacing: [1, 1, 1])
        #expect(raw.robustHausdorff(percent: 95) == .infinity)
        #expect(raw.averageSurfaceDistance.groundTruthToPrediction == .infinity)
    }

    @Test func numpyPairwiseSumOrder() {
        // Large and small terms make sequential and pairwise order differ; check against the plain definition.
        let a: [Double] = (0..<300).map { (i: Int) -> Double in
            let big: Double = i % 97 == 0 ? 1e16 : 0
            return big + 1.0 + Double(i) * 1e-3
        }
        func reference(_ x: [Double]) -> Double {
            let n = x.count
            if n < 8 { return x.reduce(0, +) }
            if n <= 128 {
                var r = Array(x.prefix(8)); var i = 8
                while i < n - n % 8 { for t in 0..<8 { r[t] += x[i + t] }; i += 8 }
                var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
                while i < n { res += x[i]; i += 1 }
                return res
            }
            var n2 = n / 2; n2 -= n2 % 8
            return reference(Array(x.prefix(n2))) + reference(Array(x.dropFirst(n2)))
        }
        #expect(NumPy.sum(a) == reference(a))
        #expect(NumPy.sum(a) == 4.000000000000036e+16)  // np.sum of this input (sequential order gives ...019e+16)
        #expect(NumPy.sum(a) != a.reduce(0, +))  // the order really matters for this input
        #expect(NumPy.sum([]) == 0)
    }
}
