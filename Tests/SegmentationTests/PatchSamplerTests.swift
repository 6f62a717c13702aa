// The training patch sampler's thin-slab and brightness augmentations, on a case whose voxel values
// say where they came from.
import Testing
import Tensor
@testable import Segmentation

@Suite struct PatchSamplerTests {
    /// A 20x20x80 case: image value 1 + k / 100 at slice k (never the padding value 0), class 1 everywhere.
    static let shape = [20, 20, 80]
    static let testCase: PreparedCase = {
        let n = shape.reduce(1, *)
        let image = (0..<n).map { Float(1 + Double($0 / (shape[0] * shape[1])) / 100) }
        return PreparedCase(dataset: "d", name: "c", shape: shape, image: image, classes: [UInt8](repeating: 1, count: n),
                            annotated: [true, true])
    }()

    /// Per sample of a batch: for each patch depth z, whether the whole plane is real (value > 0,
    /// class 1) or padding (value 0, class 255); a mixed plane fails the test.
    static func planes(_ images: Tensor, _ targets: [UInt8], sample b: Int, patch: [Int]) -> [Bool] {
        let voxels = patch.reduce(1, *)
        return (0..<patch[2]).map { z in
            var real = 0
            for x in 0..<patch[0] { for y in 0..<patch[1] {
                let i = b * voxels + (x * patch[1] + y) * patch[2] + z
                if images.storage[i] > 0 && targets[i] == 1 { real += 1 } else {
                    #expect(images.storage[i] == 0 && targets[i] == 255, "voxel \(i): value \(images.storage[i]) class \(targets[i])")
                }
            } }
            #expect(real == 0 || real == patch[0] * patch[1], "plane \(z) of sample \(b) is partly padding")
            return real > 0
        }
    }

    @Test func thinSlabsAreContiguousRunsOfTheRightThickness() {
        let patch = [8, 8, 32]
        var sampler = PatchSampler(patch: patch, cases: [Self.testCase], background: nil)
        sampler.augmentProbability = 0
        sampler.slabProbability = 1
        var rng = SeededRandom(seed: 7)
        let (images, targets, _) = sampler.batch(16, cases: [Self.testCase], rng: &rng)
        var thicknesses = Set<Int>(), starts = Set<Int>()
        for b in 0..<16 {
            let real = Self.planes(images, targets, sample: b, patch: patch)
            let first = real.firstIndex(of: true)!, last = real.lastIndex(of: true)!
            #expect(real[first...last].allSatisfy { $0 }, "sample \(b): the slab has a hole: \(real)")
            // 1/8 to 1/2 of the patch depth.
            #expect((4...16).contains(last - first + 1), "sample \(b): slab of \(last - first + 1) planes")
            thicknesses.insert(last - first + 1); starts.insert(first)
        }
        #expect(thicknesses.count > 3 && starts.count > 3, "slabs do not vary: thicknesses \(thicknesses), starts \(starts)")

        // Without slabs every plane is real (the case is deep enough for the patch).
        sampler.slabProbability = 0
        let plain = sampler.batch(4, cases: [Self.testCase], rng: &rng)
        for b in 0..<4 { #expect(Self.planes(plain.images, plain.targets, sample: b, patch: patch).allSatisfy { $0 }) }
    }

    @Test func brightnessScalesEachPatchByOneFactorInRange() {
        let patch = [8, 8, 16]
        var sampler = PatchSampler(patch: patch, cases: [Self.testCase], background: nil)
        sampler.augmentProbability = 0
        sampler.intensityScale = 0.1
        var rng = SeededRandom(seed: 3)
        let (images, _, _) = sampler.batch(8, cases: [Self.testCase], rng: &rng)
        let voxels = patch.reduce(1, *)
        var factors: [Float] = []
        for b in 0..<8 {
            let p = images.storage + b * voxels
            // Unscaled values are 1 + k / 100 with k consecutive along z: the first plane's value and the
            // step between planes give the factor twice, and both must agree.
            let v0 = p[0], v1 = p[1]
            let factor = (v1 - v0) / 0.01
            let k0 = (v0 / factor - 1) * 100
            #expect(abs(k0 - k0.rounded()) < 0.05, "sample \(b): first plane \(v0) is not a scaled slice value (factor \(factor))")
            #expect(factor >= 0.9 - 1e-3 && factor <= 1.1 + 1e-3, "sample \(b): factor \(factor)")
            for i in 0..<voxels { #expect(abs(p[i] - factor * (1 + (k0.rounded() + Float(i % patch[2])) / 100)) < 1e-4) }
            factors.append(factor)
        }
        #expect(Set(factors.map { ($0 * 1000).rounded() }).count > 4, "factors do not vary: \(factors)")
    }

    @Test func airPaddingIsBackgroundAndPatchesMayLeaveTheScan() {
        let patch = [8, 8, 16]
        var sampler = PatchSampler(patch: patch, cases: [Self.testCase], background: nil)
        sampler.augmentProbability = 0
        sampler.foregroundFraction = 0
        sampler.paddingClass = 0
        var rng = SeededRandom(seed: 11)
        let (images, targets, _) = sampler.batch(32, cases: [Self.testCase], rng: &rng)
        let voxels = patch.reduce(1, *)
        var realPlaneCounts: [Int] = []
        for b in 0..<32 {
            var realPlanes = Set<Int>()
            for i in 0..<voxels {
                let (v, t) = (images.storage[b * voxels + i], targets[b * voxels + i])
                // Scan voxels keep class 1; padding is air (0) labelled background (0), never ignored (255).
                if v > 0 { #expect(t == 1); realPlanes.insert(i % patch[2]) } else { #expect(v == 0 && t == 0, "voxel \(i): value \(v) class \(t)") }
            }
            realPlaneCounts.append(realPlanes.count)
        }
        // Uniform centres are not pulled inside the scan (80 planes deep; the patch, 16): some patches
        // hang out along k, which clamped centres never do (the other tests see only whole planes).
        #expect(realPlaneCounts.contains { $0 < patch[2] }, "no patch leaves the scan along k: \(realPlaneCounts)")
        #expect(realPlaneCounts.filter { $0 == patch[2] }.count > 16, "most patches should still lie inside: \(realPlaneCounts)")

        // Zoomed and rotated patches (nearest class, trilinear image) never leave a voxel ignored either.
        sampler.augmentProbability = 1
        let turned = sampler.batch(16, cases: [Self.testCase], rng: &rng)
        #expect(turned.targets.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(turned.targets.contains(0) && turned.targets.contains(1))

        // A case thinner than the patch is padded in preparation with the same class.
        var thin = PreparedCase(dataset: "d", name: "t", shape: [2, 2, 2], image: [Float](repeating: 1, count: 8),
                                classes: [UInt8](repeating: 1, count: 8), annotated: [true, true])
        Preprocessor.pad(&thin, to: [2, 2, 4], value: 0, class: 0)
        #expect(thin.shape == [2, 2, 4])
        #expect(thin.classes == [0, 0, 0, 0] + [UInt8](repeating: 1, count: 8) + [0, 0, 0, 0])
        #expect(thin.image == [0, 0, 0, 0] + [Float](repeating: 1, count: 8) + [0, 0, 0, 0])
    }
}
