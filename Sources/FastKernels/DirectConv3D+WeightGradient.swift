// The weight-stationary pass: acc[g][r][lane] += sum_v dy[g*vw + lane, v] * x[base(v) + qOffsets[r]],
// with r = ci * taps + tap. Registers hold 16 output channels x 6 values of r (or 8 x 12) for a whole
// tile of voxels; dy is first transposed per tile into [voxel][16] so each voxel costs two vector loads
// and six broadcasts for twelve FMAs.

struct WeightGradientPlan {
    /// Zero-padded input.
    var x: UnsafePointer<Float>
    /// For each r = ci * taps + tap: ci * channelStride + tap offset.
    var qOffsets: UnsafePointer<Int>
    var q: Int
    /// [outChannels][dyChannelStride], voxels in grid order.
    var dy: UnsafePointer<Float>
    var dyChannelStride: Int
    var outChannels: Int
    var vw: Int
    var grid: (Int, Int, Int)
    /// Voxel (a, b, c) reads x at a*xStep.0 + b*xStep.1 + c*xStep.2.
    var xStep: (Int, Int, Int)
    /// [groups][q][vw], accumulated into.
    var acc: UnsafeMutablePointer<Float>
}

func runWeightGradient(_ p: WeightGradientPlan, parallel: ParallelFor) {
    let nv = p.grid.0 * p.grid.1 * p.grid.2
    if nv == 0 { return }
    if p.vw == 8 && p.xStep.2 == 1 && p.grid.2 >= 16 {
        runWeightGradientRows(p, parallel: parallel)
        return
    }
    let jn = p.vw == 16 ? 6 : 12
    let groups = (p.outChannels + p.vw - 1) / p.vw
    let qBlocks = (p.q + jn - 1) / jn
    let wanted = 8
    let qChunks = min(qBlocks, (wanted + groups - 1) / groups)
    let vParts = groups * qChunks >= wanted ? 1 : max(1, min((wanted + groups * qChunks - 1) / (groups * qChunks), nv / 512))
    let items = groups * qChunks * vParts
    let accCount = groups * p.q * p.vw
    // Voxel parts accumulate into private copies that are added up afterwards.
    let partial: Scratch<Float>? = vParts > 1 ? Scratch<Float>(count: vParts * accCount) : nil
    defer { partial?.deallocate() }
    let tileMax = 256
    parallel(items) { item in
        let vp = item % vParts
        let qc = (item / vParts) % qChunks
        let g = item / (vParts * qChunks)
        let target = (partial.map { $0.p + vp * accCount } ?? p.acc) + g * p.q * p.vw
        let va = nv * vp / vParts, vb = nv * (vp + 1) / vParts
        let qb0 = qBlocks * qc / qChunks, qb1 = qBlocks * (qc + 1) / qChunks
        let cn = min(p.vw, p.outChannels - g * p.vw)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: tileMax * 16 + 12 * 16) { fbuf in
            let dyt = fbuf.baseAddress!, res = dyt + tileMax * 16
            // Lanes past the last output channel stay zero.
            dyt.initialize(repeating: 0, count: tileMax * 16)
            withUnsafeTemporaryAllocation(of: Int.self, capacity: tileMax + 12) { ibuf in
                let xb = ibuf.baseAddress!, qo = xb + tileMax
                var v0 = va
                while v0 < vb {
                    let n = min(tileMax, vb - v0)
                    for ch in 0..<cn {
                        let src = p.dy + (g * p.vw + ch) * p.dyChannelStride + v0
                        for i in 0..<n { dyt[i * p.vw + ch] = src[i] }
                    }
                    var c = v0 % p.grid.2
                    var b = (v0 / p.grid.2) % p.grid.1
                    var a = v0 / (p.grid.2 * p.grid.1)
                    for i in 0..<n {
                        xb[i] = a &* p.xStep.0 &+ b &* p.xStep.1 &+ c &* p.xStep.2
                        c += 1
                        if c == p.grid.2 { c = 0; b += 1; if b == p.grid.1 { b = 0; a += 1 } }
                    }
                    for qb in qb0..<qb1 {
                        let r0 = qb * jn
                        let m = min(jn, p.q - r0)
                        for j in 0..<jn { qo[j] = p.qOffsets[min(r0 + j, p.q - 1)] }
                        res.update(from: target + r0 * p.vw, count: m * p.vw)
                        if m < jn { (res + m * p.vw).update(repeating: 0, count: (jn - m) * p.vw) }
                        if p.vw == 16 {
                            weightGradient16x6(p.x, qo, xb, dyt, n, res)
                        } else {
                            weightGradient8x12(p.x, qo, xb, dyt, n, res)
                        }
                        for j in 0..<m {
                            (target + (r0 + j) * p.vw).update(from: res + j * p.vw, count: p.vw)
                        }
                    }
                    v0 += n
                }
            }
        }
    }
    if let partial {
        // Sum the private copies into acc, split over threads by ranges of elements.
        let chunks = min(64, max(1, accCount / 4096))
        parallel(chunks) { c in
            let lo = accCount * c / chunks, hi = accCount * (c + 1) / chunks
            for vp in 0..<vParts {
                let src = partial.p + vp * accCount
                for i in lo..<hi { p.acc[i] += src[i] }
            }
        }
    }
}

/// acc[6][16] += sum_i dyt[i][0..<16] * x[xb[i] + qo[j]].
@inline(never)
func weightGradient16x6(
    _ x: UnsafePointer<Float>, _ qo: UnsafePointer<Int>, _ xb: UnsafePointer<Int>, _ dyt: UnsafePointer<Float>,
    _ n: Int, _ res: UnsafeMutablePointer<Float>
) {
    let p0 = x + qo[0], p1 = x + qo[1], p2 = x + qo[2], p3 = x + qo[3], p4 = x + qo[4], p5 = x + qo[5]
    var a00 = load8(res), a10 = load8(res + 8)
    var a01 = load8(res + 16), a11 = load8(res + 24)
    var a02 = load8(res + 32), a12 = load8(res + 40)
    var a03 = load8(res + 48), a13 = load8(res + 56)
    var a04 = load8(res + 64), a14 = load8(res + 72)
    var a05 = load8(res + 80), a15 = load8(res + 88)
    var d = dyt
    for i in 0..<n {
        let b = xb[i]
        let d0 = load8(d), d1 = load8(d + 8)
        var s = SIMD8<Float>(repeating: p0[b])
        a00.addProduct(d0, s); a10.addProduct(d1, s)
        s = SIMD8<Float>(repeating: p1[b])
        a01.addProduct(d0, s); a11.addProduct(d1, s)
        s = SIMD8<Float>(repeating: p2[b])
        a02.addProduct(d0, s); a12.addProduct(d1, s)
        s = SIMD8<Float>(repeating: p3[b])
        a03.addProduct(d0, s); a13.addProduct(d1, s)
        s = SIMD8<Float>(repeating: p4[b])
        a04.addProduct(d0, s); a14.addProduct(d1, s)
        s = SIMD8<Float>(repeating: p5[b])
        a05.addProduct(d0, s); a15.addProduct(d1, s)
        d += 16
    }
    store8(a00, res); store8(a10, res + 8)
    store8(a01, res + 16); store8(a11, res + 24)
    store8(a02, res + 32); store8(a12, res + 40)
    store8(a03, res + 48); store8(a13, res + 56)
    store8(a04, res + 64); store8(a14, res + 72)
    store8(a05, res + 80); store8(a15, res + 88)
}

/// acc[12][8] += sum_i dyt[i][0..<8] * x[xb[i] + qo[j]].
@inline(never)
func weightGradient8x12(
    _ x: UnsafePointer<Float>, _ qo: UnsafePointer<Int>, _ xb: UnsafePointer<Int>, _ dyt: UnsafePointer<Float>,
    _ n: Int, _ res: UnsafeMutablePointer<Float>
) {
    var a0 = load8(res), a1 = load8(res + 8), a2 = load8(res + 16), a3 = load8(res + 24)
    var a4 = load8(res + 32), a5 = load8(res + 40), a6 = load8(res + 48), a7 = load8(res + 56)
    var a8 = load8(res + 64), a9 = load8(res + 72), a10 = load8(res + 80), a11 = load8(res + 88)
    let o0 = qo[0], o1 = qo[1], o2 = qo[2], o3 = qo[3], o4 = qo[4], o5 = qo[5]
    let o6 = qo[6], o7 = qo[7], o8 = qo[8], o9 = qo[9], o10 = qo[10], o11 = qo[11]
    var d = dyt
    for i in 0..<n {
        let q = x + xb[i]
        let d0 = load8(d)
        a0.addProduct(d0, SIMD8<Float>(repeating: q[o0]))
        a1.addProduct(d0, SIMD8<Float>(repeating: q[o1]))
        a2.addProduct(d0, SIMD8<Float>(repeating: q[o2]))
        a3.addProduct(d0, SIMD8<Float>(repeating: q[o3]))
        a4.addProduct(d0, SIMD8<Float>(repeating: q[o4]))
        a5.addProduct(d0, SIMD8<Float>(repeating: q[o5]))
        a6.addProduct(d0, SIMD8<Float>(repeating: q[o6]))
        a7.addProduct(d0, SIMD8<Float>(repeating: q[o7]))
        a8.addProduct(d0, SIMD8<Float>(repeating: q[o8]))
        a9.addProduct(d0, SIMD8<Float>(repeating: q[o9]))
        a10.addProduct(d0, SIMD8<Float>(repeating: q[o10]))
        a11.addProduct(d0, SIMD8<Float>(repeating: q[o11]))
        d += 8
    }
    store8(a0, res); store8(a1, res + 8); store8(a2, res + 16); store8(a3, res + 24)
    store8(a4, res + 32); store8(a5, res + 40); store8(a6, res + 48); store8(a7, res + 56)
    store8(a8, res + 64); store8(a9, res + 72); store8(a10, res + 80); store8(a11, res + 88)
}
