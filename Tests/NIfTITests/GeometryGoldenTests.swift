// Reorientation and resampling against MONAI 1.6.1 (../shared/golden/resample): Orientation("LPI"),
// then Spacing(1.5 mm, bilinear / nearest, align_corners=False), as SALT's input pipeline does.
import Foundation
import Testing
import TestSupport
@testable import NIfTI

struct GeometryGoldenTests {
    /// A golden array, row-major [i, j, k] (k fastest), as salt's i-fastest voxel order.
    static func voxels(_ t: SafeTensorLike) -> [Float] {
        let (n0, n1, n2) = (t.shape[0], t.shape[1], t.shape[2])
        var out = [Float](repeating: 0, count: n0 * n1 * n2)
        for i in 0..<n0 { for j in 0..<n1 { for k in 0..<n2 {
            out[i + n0 * (j + n1 * k)] = Float(t.values[(i * n1 + j) * n2 + k])
        } } }
        return out
    }

    struct SafeTensorLike { var shape: [Int]; var values: [Double] }

    static func golden() throws -> (json: [String: Any], arrays: [String: SafeTensorLike]) {
        let file = try Shared.goldenTensors("resample.safetensors")
        var arrays: [String: SafeTensorLike] = [:]
        for name in file.names { arrays[name] = SafeTensorLike(shape: file[name]!.shape, values: file[name]!.values) }
        let json = try Shared.goldenJSON("resample.json") as! [String: Any]
        return (json, arrays)
    }

    static func affine(_ any: Any?) -> Affine { Affine((any as! [[NSNumber]]).map { $0.map(\.doubleValue) }) }

    static func maxAbs(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        return zip(a, b).reduce(0.0) { max($0, abs(Double($1.0) - Double($1.1))) }
    }

    @Test func reorientToLPIMatchesMONAIAndGoesBackExactly() throws {
        let (json, arrays) = try Self.golden()
        let input = arrays["image"]!
        let image = Volume(shape: input.shape, voxels: Self.voxels(input), affine: Self.affine(json["affine_in"]))
        #expect(image.orientation == "LAS")
        let oriented = image.reoriented(to: "LPI")
        #expect(oriented.orientation == "LPI")
        #expect(oriented.shape == arrays["oriented_image"]!.shape)
        let affineDifference = oriented.affine.maxDifference(Self.affine(json["oriented_affine"]))
        let difference = Self.maxAbs(oriented.voxels, Self.voxels(arrays["oriented_image"]!))
        print("reorient LPI: largest affine difference \(affineDifference), largest voxel difference \(difference)")
        #expect(affineDifference < 1e-9)
        #expect(difference == 0)
        let back = oriented.reoriented(to: image.orientation)
        #expect(back.shape == image.shape && back.voxels == image.voxels, "reorienting back must restore every voxel")
        #expect(back.affine.maxDifference(image.affine) < 1e-12)
        // Every permutation of axes and directions round-trips.
        for codes in ["RAS", "LPS", "ASL", "IRP", "SPL"] {
            let there = image.reoriented(to: codes)
            #expect(there.orientation == codes)
            let again = there.reoriented(to: "LAS")
            #expect(again.voxels == image.voxels && again.affine.maxDifference(image.affine) < 1e-12, "\(codes) round trip")
        }
    }

    @Test func spacingMatchesMONAI() throws {
        let (json, arrays) = try Self.golden()
        let affineIn = Self.affine(json["affine_in"])
        let expectedShape = (json["resampled_shape"] as! [NSNumber]).map(\.intValue)
        let expectedAffine = Self.affine(json["resampled_affine"])
        let spacing = (json["spacing_out"] as! [NSNumber]).map(\.doubleValue)

        let image = Volume(shape: arrays["image"]!.shape, voxels: Self.voxels(arrays["image"]!), affine: affineIn)
        let resampled = image.reoriented(to: "LPI").resampled(toSpacing: spacing, interpolation: .linear)
        #expect(resampled.shape == expectedShape, "shape \(resampled.shape) vs MONAI \(expectedShape)")
        #expect(resampled.affine.maxDifference(expectedAffine) < 1e-9, "affine\n\(resampled.affine)\nvs\n\(expectedAffine)")
        let golden = Self.voxels(arrays["resampled_image"]!)
        let scale = golden.reduce(0.0) { max($0, abs(Double($1))) }
        let imageDifference = Self.maxAbs(resampled.voxels, golden)
        print("spacing linear: largest difference \(imageDifference) (values up to \(scale))")
        #expect(imageDifference <= 1e-4 * max(scale, 1))

        let labels = Volume(shape: arrays["label"]!.shape, voxels: Self.voxels(arrays["label"]!), affine: affineIn, datatype: .uint8)
        let resampledLabels = labels.reoriented(to: "LPI").resampled(toSpacing: spacing, interpolation: .nearest)
        let goldenLabels = Self.voxels(arrays["resampled_label"]!)
        let mismatches = zip(resampledLabels.voxels, goldenLabels).filter { $0 != $1 }.count
        print("spacing nearest: \(mismatches) of \(goldenLabels.count) labels differ, largest difference \(Self.maxAbs(resampledLabels.voxels, goldenLabels))")
        #expect(resampledLabels.shape == expectedShape)
        #expect(mismatches == 0)
        #expect(resampledLabels.datatype == .uint8)
    }

    @Test func resamplingBackToTheInputGrid() throws {
        let (json, arrays) = try Self.golden()
        let labels = Volume(shape: arrays["label"]!.shape, voxels: Self.voxels(arrays["label"]!), affine: Self.affine(json["affine_in"]), datatype: .uint8)
        #expect(Set(labels.voxels).count > 2, "the fixture should hold several labels")
        // A pure reorientation undone by resampling onto the original grid: exact.
        let lpi = labels.reoriented(to: "LPI")
        let back = lpi.resampled(toGridOf: labels, interpolation: .nearest)
        #expect(back.shape == labels.shape && back.voxels == labels.voxels)
        #expect(back.affine == labels.affine)
        // Half the spacing and back: every original voxel centre is a fine voxel centre.
        let fine = lpi.resampled(toSpacing: lpi.spacing.map { $0 / 2 }, interpolation: .nearest)
        #expect(fine.shape == lpi.shape.map { 2 * $0 - 1 })
        let restored = fine.resampled(toGridOf: labels, interpolation: .nearest)
        #expect(restored.voxels == labels.voxels)
        // Linear resampling onto its own grid is the identity.
        let same = labels.resampled(toGridOf: labels, interpolation: .linear)
        #expect(same.voxels == labels.voxels)
        #expect(same.datatype == .float32)
    }
}
