// Exact Euclidean distance transform on an anisotropic 3D grid (grid: [n0, n1, n2], axis 0 fastest).
import Tensor

/// Squared Euclidean distances (mm^2) from every voxel to the nearest "site" voxel, as scipy's
/// `distance_transform_edt(~sites, sampling=spacing)` squared: exact, not a chamfer approximation.
enum DistanceTransform {
    /// Felzenszwalb & Huttenlocher (2012), "Distance transforms of sampled functions": one exact 1D pass per
    /// axis, each the lower envelope of parabolas. Voxels with no site anywhere get +infinity.
    /// - Parameters:
    ///   - sites: 1 where a site is, else 0; `shape.reduce(1, *)` values, axis 0 fastest.
    ///   - spacing: voxel size in mm along axes 0, 1, 2.
    static func squaredDistances(sites: UnsafeBufferPointer<UInt8>, shape: [Int], spacing: [Double]) -> [Double] {
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        precondition(sites.count == n0 * n1 * n2, "sites: \(sites.count) values for shape \(shape)")
        var d = [Double](repeating: .infinity, count: n0 * n1 * n2)
        d.withUnsafeMutableBufferPointer { out in
            let out = out
            // Axis 0 (contiguous): distance along the row to the nearest site, by a forward and a backward scan.
            let s0 = spacing[0]
            Parallel.forRanges(n1 * n2, oversubscribe: 4) { rows in
                for row in rows {
                    let base = row * n0
                    var last = -1
                    for i in 0..<n0 {
                        if sites[base + i] != 0 { last = i }
                        if last >= 0 { let t = Double(i - last) * s0; out[base + i] = t * t }
                    }
                    last = -1
                    for i in stride(from: n0 - 1, through: 0, by: -1) {
                        if sites[base + i] != 0 { last = i }
                        if last >= 0 {
                            let t = Double(last - i) * s0
                            out[base + i] = min(out[base + i], t * t)
                        }
                    }
                }
            }
            // Axes 1 and 2: the lower envelope along each strided line.
            envelopePass(out, count: n1, stride: n0, lines: n0 * n2, lineStart: { l in (l % n0) + (l / n0) * n0 * n1 }, spacing: spacing[1])
            envelopePass(out, count: n2, stride: n0 * n1, lines: n0 * n1, lineStart: { l in l }, spacing: spacing[2])
        }
        return d
    }

    /// Replaces f along every line by min over q of f(q) + ((p - q) * spacing)^2.
    private static func envelopePass(_ f: UnsafeMutableBufferPointer<Double>, count n: Int, stride: Int, lines: Int,
                                     lineStart: (Int) -> Int, spacing s: Double) {
        Parallel.forRanges(lines, oversubscribe: 4) { range in
            var g = [Double](repeating: 0, count: n)
            var v = [Int](repeating: 0, count: n)
            var z = [Double](repeating: 0, count: n + 1)
            for line in range {
                let start = lineStart(line)
                var any = false
                for q in 0..<n {
                    g[q] = f[start + q * stride]
                    if g[q].isFinite { any = true }
                }
                if !any { continue }
                // Build the lower envelope from the finite samples only (an infinite one never wins).
                var k = -1
                for q in 0..<n where g[q].isFinite {
                    let xq = Double(q) * s
                    var boundary = -Double.infinity
                    while k >= 0 {
                        let r = v[k], xr = Double(r) * s
                        boundary = ((g[q] + xq * xq) - (g[r] + xr * xr)) / (2 * (xq - xr))
                        if boundary <= z[k] { k -= 1 } else { break }
                    }
                    k += 1
                    v[k] = q
                    z[k] = k == 0 ? -.infinity : boundary
                    z[k + 1] = .infinity
                }
                k = 0
                for q in 0..<n {
                    let xq = Double(q) * s
                    while z[k + 1] < xq { k += 1 }
                    let t = Double(q - v[k]) * s
                    f[start + q * stride] = t * t + g[v[k]]
                }
            }
        }
    }

    /// Plain reference: every voxel against every site. O(voxels x sites); for tests on small grids.
    static func referenceSquaredDistances(sites: [UInt8], shape: [Int], spacing: [Double]) -> [Double] {
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        var points: [(Int, Int, Int)] = []
        for k in 0..<n2 { for j in 0..<n1 { for i in 0..<n0 where sites[i + n0 * (j + n1 * k)] != 0 { points.append((i, j, k)) } } }
        var d = [Double](repeating: .infinity, count: n0 * n1 * n2)
        for k in 0..<n2 {
            for j in 0..<n1 {
                for i in 0..<n0 {
                    var best = Double.infinity
                    for (a, b, c) in points {
                        let x = Double(i - a) * spacing[0], y = Double(j - b) * spacing[1], w = Double(k - c) * spacing[2]
                        best = min(best, x * x + y * y + w * w)
                    }
                    d[i + n0 * (j + n1 * k)] = best
                }
            }
        }
        return d
    }
}
