// Resampling to a new voxel spacing (`--spacing`, e.g. thick slices to 1.5 mm): trilinear for images,
// nearest neighbour for labels (a label value is never averaged). Voxel (0, 0, 0) keeps its world
// position and the grid keeps its extent (n * spacing, rounded to whole voxels), as MONAI's Spacing does.
//
// Grids: values [n0 * n1 * n2], i fastest.
import NIfTI

enum Resampling {
    /// The new shape and affine for `spacing` (entries <= 0 keep that axis's spacing).
    static func grid(shape: [Int], affine: Affine, spacing: [Double]) -> (shape: [Int], affine: Affine, scale: [Double]) {
        let old = affine.spacing
        var scale = [1.0, 1.0, 1.0], newShape = shape
        for d in 0..<3 where spacing[d] > 0 {
            scale[d] = spacing[d] / old[d]
            newShape[d] = max(1, Int((Double(shape[d]) / scale[d]).rounded()))
        }
        var m = affine.m
        for r in 0..<3 { for c in 0..<3 { m[r][c] *= scale[c] } }
        return (newShape, Affine(m), scale)
    }

    /// Trilinear interpolation at output voxel positions (source coordinate = output index * scale),
    /// clamped at the borders.
    static func linear(_ v: [Float], shape: [Int], to newShape: [Int], scale: [Double]) -> [Float] {
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        func axis(_ n: Int, _ m: Int, _ s: Double) -> (lo: [Int], hi: [Int], w: [Float]) {
            var lo = [Int](), hi = [Int](), w = [Float]()
            for t in 0..<m {
                let x = min(Double(n - 1), max(0, Double(t) * s))
                let l = Int(x.rounded(.down))
                lo.append(l); hi.append(min(n - 1, l + 1)); w.append(Float(x - Double(l)))
            }
            return (lo, hi, w)
        }
        let a0 = axis(n0, newShape[0], scale[0]), a1 = axis(n1, newShape[1], scale[1]), a2 = axis(n2, newShape[2], scale[2])
        var out = [Float](repeating: 0, count: newShape[0] * newShape[1] * newShape[2])
        var o = 0
        for k in 0..<newShape[2] {
            let (k0, k1, wk) = (a2.lo[k] * n0 * n1, a2.hi[k] * n0 * n1, a2.w[k])
            for j in 0..<newShape[1] {
                let (j0, j1, wj) = (a1.lo[j] * n0, a1.hi[j] * n0, a1.w[j])
                for i in 0..<newShape[0] {
                    let (i0, i1, wi) = (a0.lo[i], a0.hi[i], a0.w[i])
                    func lerp(_ a: Float, _ b: Float, _ w: Float) -> Float { a + (b - a) * w }
                    let c00 = lerp(v[i0 + j0 + k0], v[i1 + j0 + k0], wi), c10 = lerp(v[i0 + j1 + k0], v[i1 + j1 + k0], wi)
                    let c01 = lerp(v[i0 + j0 + k1], v[i1 + j0 + k1], wi), c11 = lerp(v[i0 + j1 + k1], v[i1 + j1 + k1], wi)
                    out[o] = lerp(lerp(c00, c10, wj), lerp(c01, c11, wj), wk)
                    o += 1
                }
            }
        }
        return out
    }

    /// Nearest neighbour at output voxel positions.
    static func nearest<T>(_ v: [T], shape: [Int], to newShape: [Int], scale: [Double]) -> [T] {
        func axis(_ n: Int, _ m: Int, _ s: Double) -> [Int] {
            (0..<m).map { min(n - 1, max(0, Int((Double($0) * s).rounded()))) }
        }
        let i0 = axis(shape[0], newShape[0], scale[0]), i1 = axis(shape[1], newShape[1], scale[1]), i2 = axis(shape[2], newShape[2], scale[2])
        var out = [T]()
        out.reserveCapacity(newShape[0] * newShape[1] * newShape[2])
        for k in i2 { for j in i1 { let base = (k * shape[1] + j) * shape[0]; for i in i0 { out.append(v[base + i]) } } }
        return out
    }
}
