// Resampling onto a new grid, with MONAI's Spacing semantics (as SALT's input pipeline uses it):
//  - the new affine keeps the directions and gets the target spacing: rotation * diag(spacing), where
//    the rotation is the Q of the QR factorisation of the affine's 3x3 part (MONAI zoom_affine,
//    diagonal=False);
//  - the new shape is round-half-even((n - 1) * extent ratio + 1) per axis, from the input's corner
//    voxel centres (compute_shape_offset, scale_extent=False);
//  - the new origin is the input's corner voxel that is smallest in every new axis (else the centres
//    are aligned);
//  - output voxel o samples the input at continuous index inverse(A_in) * A_out * o (voxel centres,
//    grid_sample with align_corners=False), coordinates clamped to the input (padding "border"),
//    trilinear for images and round-half-even nearest neighbour for labels.
import Foundation

/// How values between voxel centres are computed.
public enum Interpolation: String, Sendable, CaseIterable {
    /// Trilinear, for images.
    case linear
    /// Nearest neighbour, for label maps (values are copied, never mixed).
    case nearest
}

extension Volume {
    /// The volume resampled to voxel size `spacing` (mm along the new i, j, k), keeping its directions
    /// and the world position of its corner voxel, as MONAI's Spacing transform does. Linear results
    /// are float32 on disk; nearest results keep the datatype and label table.
    public func resampled(toSpacing spacing: [Double], interpolation: Interpolation) -> Volume {
        precondition(shape.count == 3, "resampled(toSpacing:) needs a 3D volume, got shape \(shape)")
        precondition(spacing.count == 3 && spacing.allSatisfy { $0 > 0 && $0.isFinite }, "spacing must be 3 positive numbers, got \(spacing)")
        let (newShape, newAffine) = Volume.spacingGrid(shape: shape, affine: affine, spacing: spacing)
        var v = self
        v.voxels = resample(toShape: newShape, affine: newAffine, interpolation: interpolation)
        v.shape = newShape
        v.affine = newAffine
        v.spacing = newAffine.spacing
        v.orientation = Orientation.codes(of: newAffine)
        if interpolation == .linear && datatype.isInteger {
            v.datatype = .float32
            v.header.sclSlope = 1
            v.header.sclInter = 0
        }
        return v
    }

    /// The volume resampled onto `reference`'s grid (its shape and affine): e.g. a prediction made on
    /// the model's grid brought back to the input's own grid. The result carries the reference's
    /// header ("like" it, see `with(voxels:datatype:)`) with this volume's datatype and label table.
    public func resampled(toGridOf reference: Volume, interpolation: Interpolation) -> Volume {
        precondition(shape.count == 3 && reference.shape.count == 3, "resampled(toGridOf:) needs 3D volumes, got \(shape) and \(reference.shape)")
        let values = resample(toShape: reference.shape, affine: reference.affine, interpolation: interpolation)
        let type: NIfTIDataType = (interpolation == .linear && datatype.isInteger) ? .float32 : datatype
        var v = reference.with(voxels: values, datatype: type)
        v.labelTable = labelTable
        return v
    }

    /// The grid MONAI's Spacing gives a volume of `shape` and `affine` at `spacing`: (shape, affine).
    public static func spacingGrid(shape: [Int], affine: Affine, spacing: [Double]) -> ([Int], Affine) {
        // Rotation part: Gram-Schmidt on the columns = Q of QR = rzs * inverse(cholesky(rzs^T rzs)).
        var q = [[Double]](repeating: [0, 0, 0], count: 3)  // q[c] = column c
        for c in 0..<3 {
            var v = (0..<3).map { affine.m[$0][c] }
            for p in 0..<c {
                let dot = (0..<3).reduce(0.0) { $0 + q[p][$1] * v[$1] }
                for r in 0..<3 { v[r] -= dot * q[p][r] }
            }
            let norm = v.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            q[c] = norm > 0 ? v.map { $0 / norm } : (0..<3).map { $0 == c ? 1 : 0 }
        }
        var zoomed = Affine.identity
        for r in 0..<3 { for c in 0..<3 { zoomed.m[r][c] = q[c][r] * spacing[c] } }

        // Corners of the input's voxel centres, in the new voxel frame (no translation yet).
        let toNew = zoomed.inverse * affine
        var corners: [[Double]] = []  // corners[n] = new-frame coordinates of corner n
        var worldCorners: [[Double]] = []
        for n in 0..<8 {
            let ijk = (0..<3).map { Double((n >> $0) & 1 == 1 ? shape[$0] - 1 : 0) }
            corners.append(toNew.apply(ijk))
            worldCorners.append(affine.apply(ijk))
        }
        var newShape = [0, 0, 0]
        for d in 0..<3 {
            let values = corners.map { $0[d] }
            newShape[d] = max(1, Int((values.max()! - values.min()! + 1).rounded(.toNearestOrEven)))
        }
        var offset: [Double]? = nil
        for n in 0..<8 {
            let isMin = (0..<3).allSatisfy { d in corners.allSatisfy { $0[d] - corners[n][d] >= -1e-8 } }
            if isMin { offset = worldCorners[n]; break }
        }
        if offset == nil {
            // Centre alignment (an oblique grid with no single smallest corner).
            offset = (0..<3).map { r in
                var s = affine.m[r][3]
                for c in 0..<3 { s += affine.m[r][c] * Double(shape[c]) / 2 - zoomed.m[r][c] * Double(newShape[c]) / 2 }
                return s
            }
        }
        for r in 0..<3 { zoomed.m[r][3] = offset![r] }
        return (newShape, zoomed)
    }

    /// Samples this volume at the voxel centres of the grid (`shape`, `affine`); i fastest.
    public func resample(toShape newShape: [Int], affine newAffine: Affine, interpolation: Interpolation) -> [Float] {
        precondition(shape.count == 3 && newShape.count == 3, "resample needs 3D grids, got \(shape) -> \(newShape)")
        let t = affine.inverse * newAffine  // output voxel -> input continuous index
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        let (m0, m1, m2) = (newShape[0], newShape[1], newShape[2])
        let count = m0 * m1 * m2
        let (h0, h1, h2) = (Double(n0 - 1), Double(n1 - 1), Double(n2 - 1))
        // Rows of t, hoisted out of the loop.
        let (t00, t01, t02, t03) = (t.m[0][0], t.m[0][1], t.m[0][2], t.m[0][3])
        let (t10, t11, t12, t13) = (t.m[1][0], t.m[1][1], t.m[1][2], t.m[1][3])
        let (t20, t21, t22, t23) = (t.m[2][0], t.m[2][1], t.m[2][2], t.m[2][3])
        return voxels.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: count) { dst, initialized in
                let out = dst.baseAddress!
                DispatchQueue.concurrentPerform(iterations: m2) { k in
                    var o = k * m0 * m1
                    let dk = Double(k)
                    for j in 0..<m1 {
                        let dj = Double(j)
                        for i in 0..<m0 {
                            let di = Double(i)
                            // Padding "border": clamp to the input's first and last voxel centres.
                            let x = Swift.min(Swift.max(t00 * di + t01 * dj + t02 * dk + t03, 0), h0)
                            let y = Swift.min(Swift.max(t10 * di + t11 * dj + t12 * dk + t13, 0), h1)
                            let z = Swift.min(Swift.max(t20 * di + t21 * dj + t22 * dk + t23, 0), h2)
                            switch interpolation {
                            case .nearest:
                                let a = Int(x.rounded(.toNearestOrEven)), b = Int(y.rounded(.toNearestOrEven)), c = Int(z.rounded(.toNearestOrEven))
                                out[o] = src[a + n0 * (b + n1 * c)]
                            case .linear:
                                let a0 = Int(x), b0 = Int(y), c0 = Int(z)  // floor, since x, y, z >= 0
                                let a1 = Swift.min(a0 + 1, n0 - 1), b1 = Swift.min(b0 + 1, n1 - 1), c1 = Swift.min(c0 + 1, n2 - 1)
                                let fa = x - Double(a0), fb = y - Double(b0), fc = z - Double(c0)
                                let r00 = n0 * (b0 + n1 * c0), r10 = n0 * (b1 + n1 * c0)
                                let r01 = n0 * (b0 + n1 * c1), r11 = n0 * (b1 + n1 * c1)
                                let c00 = Double(src[a0 + r00]) * (1 - fa) + Double(src[a1 + r00]) * fa
                                let c10 = Double(src[a0 + r10]) * (1 - fa) + Double(src[a1 + r10]) * fa
                                let c01 = Double(src[a0 + r01]) * (1 - fa) + Double(src[a1 + r01]) * fa
                                let c11 = Double(src[a0 + r11]) * (1 - fa) + Double(src[a1 + r11]) * fa
                                let lower = c00 * (1 - fb) + c10 * fb
                                let upper = c01 * (1 - fb) + c11 * fb
                                out[o] = Float(lower * (1 - fc) + upper * fc)
                            }
                            o += 1
                        }
                    }
                }
                initialized = count
            }
        }
    }
}
