// Small geometry cases worked out by hand or by nibabel: orientation codes of oblique affines,
// interpolation on tiny grids, the affine inverse.
import Testing
@testable import NIfTI

struct GeometryTests {
    /// Random (seeded) general affines and nibabel 5.4.2's aff2axcodes for each.
    @Test func obliqueOrientationCodesMatchNibabel() {
        let cases: [([[Double]], String)] = [
            ([[0.00123, 0.298746, -0.274138, -6.204749], [-0.890592, -0.454671, -0.991647, 4.898421], [0.060144, 1.340215, -0.492207, 3.56887]], "PSL"),
            ([[0.105414, -0.930468, -0.029252, -2.350911], [0.695303, -1.344215, -0.457616, -12.674465], [-1.901223, -1.289538, -1.841735, 2.712644]], "ALI"),
            ([[0.156751, -0.186931, -2.51676, -8.088372], [-0.538693, -0.048501, 0.113309, 10.608986], [-1.530136, -0.477753, -0.978519, -8.075347]], "PIL"),
            ([[-0.032522, 0.88439, -0.5836, -15.471447], [-0.111702, 0.110464, 0.063782, 8.593827], [-1.225056, 0.07614, 1.358823, 1.19354]], "IRA"),
            ([[-0.64147, 2.000417, 0.76226, 6.672476], [-1.199289, 0.074516, 0.57669, 14.385226], [-0.188782, 0.68291, -0.066517, -6.756623]], "PRI"),
            ([[0.203139, -0.463308, 0.127268, -7.946424], [-1.187195, -0.579302, -0.196196, 6.469034], [0.898764, 1.145222, -1.323528, -19.924198]], "PLI"),
        ]
        for (rows, codes) in cases {
            let affine = Affine(rows + [[0, 0, 0, 1]])
            #expect(Orientation.codes(of: affine) == codes, "\(rows)")
            // Reorienting an oblique grid gives the requested codes and keeps world positions.
            let v = Volume(shape: [3, 4, 5], voxels: (0..<60).map(Float.init), affine: affine)
            let r = v.reoriented(to: "RAS")
            #expect(r.orientation == "RAS")
            let corner = r.affine.apply([0, 0, 0])
            let matches = (0..<8).contains { n in
                let ijk = (0..<3).map { Double((n >> $0) & 1 == 1 ? v.shape[$0] - 1 : 0) }
                return zip(v.affine.apply(ijk), corner).allSatisfy { abs($0 - $1) < 1e-9 }
            }
            #expect(matches, "the new first voxel must sit on a corner of the old grid")
        }
        #expect(Orientation.parse("lpi") == [AxisOrientation(worldAxis: 0, sign: -1), AxisOrientation(worldAxis: 1, sign: -1), AxisOrientation(worldAxis: 2, sign: -1)])
        #expect(Orientation.parse("LLS") == nil && Orientation.parse("RA") == nil && Orientation.parse("XYZ") == nil)
    }

    /// Two voxels 10 mm apart holding 0 and 10, resampled to 5 mm: MONAI's shape (n-1)*10/5+1 = 3 and
    /// values 0, 5, 10; nearest takes ties to even (index 0.5 -> 0).
    @Test func tinyResamplingByHand() {
        let v = Volume(shape: [2, 1, 1], voxels: [0, 10], affine: .diagonal([10, 1, 1]), datatype: .int16)
        let linear = v.resampled(toSpacing: [5, 1, 1], interpolation: .linear)
        #expect(linear.shape == [3, 1, 1] && linear.voxels == [0, 5, 10])
        #expect(linear.affine.m[0][0] == 5 && linear.datatype == .float32)
        let nearest = v.resampled(toSpacing: [5, 1, 1], interpolation: .nearest)
        #expect(nearest.voxels == [0, 0, 10] && nearest.datatype == .int16)
        // Coarser: 4 voxels at 1 mm to 3 mm: shape round(3 * 1/3 + 1) = 2, samples at index 0 and 3.
        let w = Volume(shape: [4, 1, 1], voxels: [1, 2, 4, 8], affine: .identity)
        #expect(w.resampled(toSpacing: [3, 1, 1], interpolation: .linear).voxels == [1, 8])
        // Onto a grid shifted by half a voxel: means of neighbours; outside the input, the edge value.
        var shifted = Affine.identity
        shifted.m[0][3] = 0.5
        let grid = Volume(shape: [4, 1, 1], voxels: [0, 0, 0, 0], affine: shifted)
        #expect(w.resampled(toGridOf: grid, interpolation: .linear).voxels == [1.5, 3, 6, 8])
    }

    @Test func affineInverse() {
        let a = Affine([[0.2, -0.9, 0.1, 5], [1.1, 0.3, -0.2, -7], [0.05, 0.4, 2.5, 3], [0, 0, 0, 1]])
        let product = a * a.inverse
        #expect(product.maxDifference(.identity) < 1e-14)
        #expect(a.apply(a.inverse.apply([1, 2, 3])).enumerated().allSatisfy { abs($0.element - Double($0.offset + 1)) < 1e-12 })
    }
}
