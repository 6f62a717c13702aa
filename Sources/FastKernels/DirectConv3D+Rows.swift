// Row kernels for passes with at most 8 output channels (the 64^3 levels of the small net: 8 filters).
// Eight channels fill only one SIMD8 per voxel, so the channel-vectorised blocks would need a broadcast
// per FMA; here the vectors run along W instead (stride 1 in W on both sides): 4 channels x 24 voxels
// of one output row, per (channel, tap) three vector loads and four weight broadcasts feed twelve FMAs.

/// Forward/input-gradient gather along rows; same plan as `runGather`, requires vw == 8 and a unit
/// input step in W (the output step may be any, as in the residue classes of a strided input gradient).
func runGatherRows(_ p: GatherPlan, parallel: ParallelFor) {
    precondition(p.vw == 8 && p.xStep.2 == 1, "runGatherRows needs 8-wide groups and a unit input W step")
    let rows = p.grid.0 * p.grid.1
    let wo = p.grid.2
    if rows == 0 || wo == 0 { return }
    let blocks = (p.outChannels + 3) / 4
    let rowsPerItem = max(1, min(rows, 2048 / max(wo, 1)))
    let rowItems = (rows + rowsPerItem - 1) / rowsPerItem
    parallel(rowItems * blocks) { item in
        let cb = item % blocks, ri = item / blocks
        let r0 = ri * rowsPerItem, r1 = min(rows, r0 + rowsPerItem)
        let cn = min(4, p.outChannels - cb * 4)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * 24) { resBuf in
            let res = resBuf.baseAddress!
            for r in r0..<r1 {
                let a = r / p.grid.1, b = r % p.grid.1
                let xRow = p.x + (p.xBase + a * p.xStep.0 + b * p.xStep.1)
                let yRow = p.y + (p.yBase + a * p.yStep.0 + b * p.yStep.1)
                var ow = 0
                while ow < wo {
                    rowGather4x24(xRow + ow, p.taps, p.tapCount, p.reduceChannels, p.xChannelStride,
                                  p.w + cb * 4, p.bias + cb * 4, res)
                    let m = min(24, wo - ow)
                    if p.yStep.2 == 1 {
                        for c in 0..<cn {
                            (yRow + (cb * 4 + c) * p.yChannelStride + ow).update(from: res + c * 24, count: m)
                        }
                    } else {
                        // Input-gradient classes of a strided convolution write every s-th voxel of a row.
                        for c in 0..<cn {
                            let dst = yRow + (cb * 4 + c) * p.yChannelStride + ow * p.yStep.2
                            for i in 0..<m { dst[i * p.yStep.2] = res[c * 24 + i] }
                        }
                    }
                    ow += 24
                }
            }
        }
    }
}

/// res[c][0..<24] = bias[c] + sum_{r, tap} w[r][tap][c] * x[r * channelStride + tap + 0..<24], c < 4;
/// `w` points at lane 0 of this block inside the [r][tap][8] packing.
@inline(never)
func rowGather4x24(
    _ x: UnsafePointer<Float>, _ taps: UnsafePointer<Int>, _ tapCount: Int, _ channels: Int, _ channelStride: Int,
    _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ res: UnsafeMutablePointer<Float>
) {
    let b0 = SIMD8<Float>(repeating: bias[0]), b1 = SIMD8<Float>(repeating: bias[1])
    let b2 = SIMD8<Float>(repeating: bias[2]), b3 = SIMD8<Float>(repeating: bias[3])
    var a00 = b0, a01 = b0, a02 = b0
    var a10 = b1, a11 = b1, a12 = b1
    var a20 = b2, a21 = b2, a22 = b2
    var a30 = b3, a31 = b3, a32 = b3
    var wp = w
    var cOff = 0
    for _ in 0..<channels {
        var t = 0
        while t < tapCount {
            let q = x + (cOff &+ taps[t])
            let v0 = load8(q), v1 = load8(q + 8), v2 = load8(q + 16)
            var s = SIMD8<Float>(repeating: wp[0])
            a00.addProduct(v0, s); a01.addProduct(v1, s); a02.addProduct(v2, s)
            s = SIMD8<Float>(repeating: wp[1])
            a10.addProduct(v0, s); a11.addProduct(v1, s); a12.addProduct(v2, s)
            s = SIMD8<Float>(repeating: wp[2])
            a20.addProduct(v0, s); a21.addProduct(v1, s); a22.addProduct(v2, s)
            s = SIMD8<Float>(repeating: wp[3])
            a30.addProduct(v0, s); a31.addProduct(v1, s); a32.addProduct(v2, s)
            wp += 8
            t &+= 1
        }
        cOff &+= channelStride
    }
    store8(a00, res); store8(a01, res + 8); store8(a02, res + 16)
    store8(a10, res + 24); store8(a11, res + 32); store8(a12, res + 40)
    store8(a20, res + 48); store8(a21, res + 56); store8(a22, res + 64)
    store8(a30, res + 72); store8(a31, res + 80); store8(a32, res + 88)
}

/// Weight gradient along rows for at most 8 output channels and unit stride in W: acc[g=0][r][lane] +=
/// sum_v dy[lane, v] x[base(v) + qOffsets[r]]. Vectors run along W; dy rows are copied into a buffer
/// padded with zeros to a multiple of 8, so x values read past a row's end are multiplied by zero.
func runWeightGradientRows(_ p: WeightGradientPlan, parallel: ParallelFor) {
    precondition(p.vw == 8 && p.xStep.2 == 1, "runWeightGradientRows needs 8-wide groups and unit W stride")
    let rows = p.grid.0 * p.grid.1
    let wo = p.grid.2
    if rows == 0 || wo == 0 { return }
    let woPad = (wo + 7) / 8 * 8
    let blocks = (p.outChannels + 3) / 4
    let qBlocks = (p.q + 2) / 3
    // Items: (channel block, chunk of q blocks, part of the rows); row parts add into private copies.
    let wanted = 8
    let qChunks = min(qBlocks, (wanted + blocks - 1) / blocks)
    let parts = blocks * qChunks >= wanted ? 1 : max(1, min((wanted + blocks * qChunks - 1) / (blocks * qChunks), rows / 16))
    let accCount = p.q * 8
    let partial: Scratch<Float>? = parts > 1 ? Scratch<Float>(count: parts * accCount) : nil
    defer { partial?.deallocate() }
    let tileRows = max(1, min(rows, 1024 / woPad))
    parallel(blocks * qChunks * parts) { item in
        let part = item % parts
        let qc = (item / parts) % qChunks
        let cb = item / (parts * qChunks)
        let target = partial.map { $0.p + part * accCount } ?? p.acc
        let ra = rows * part / parts, rb = rows * (part + 1) / parts
        let qb0 = qBlocks * qc / qChunks, qb1 = qBlocks * (qc + 1) / qChunks
        let cn = min(4, p.outChannels - cb * 4)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * tileRows * woPad + 12 * 8) { fbuf in
            let dyt = fbuf.baseAddress!, res = dyt + 4 * tileRows * woPad
            dyt.initialize(repeating: 0, count: 4 * tileRows * woPad)
            withUnsafeTemporaryAllocation(of: Int.self, capacity: tileRows + 3) { ibuf in
                let xr = ibuf.baseAddress!, qo = xr + tileRows
                var r0 = ra
                while r0 < rb {
                    let n = min(tileRows, rb - r0)
                    for c in 0..<cn {
                        for i in 0..<n {
                            (dyt + (c * tileRows + i) * woPad).update(from: p.dy + (cb * 4 + c) * p.dyChannelStride + (r0 + i) * wo, count: wo)
                        }
                    }
                    for i in 0..<n {
                        let r = r0 + i
                        xr[i] = (r / p.grid.1) * p.xStep.0 + (r % p.grid.1) * p.xStep.1
                    }
                    for qb in qb0..<qb1 {
                        let q0 = qb * 3
                        let m = min(3, p.q - q0)
                        for j in 0..<3 { qo[j] = p.qOffsets[min(q0 + j, p.q - 1)] }
                        rowWeightGradient4x3(p.x, qo, xr, n, dyt, tileRows * woPad, woPad, res)
                        for j in 0..<m { for c in 0..<cn { target[(q0 + j) * 8 + cb * 4 + c] += res[c * 3 + j] } }
                    }
                    r0 += n
                }
            }
        }
    }
    if let partial {
        for part in 0..<parts {
            let src = partial.p + part * accCount
            for i in 0..<accCount { p.acc[i] += src[i] }
        }
    }
}

/// res[c * 3 + j] = sum over rows i and columns of dyt[c][i][col] * x[xr[i] + qo[j] + col], c < 4, j < 3.
@inline(never)
func rowWeightGradient4x3(
    _ x: UnsafePointer<Float>, _ qo: UnsafePointer<Int>, _ xr: UnsafePointer<Int>, _ rows: Int,
    _ dyt: UnsafePointer<Float>, _ channelStride: Int, _ woPad: Int, _ res: UnsafeMutablePointer<Float>
) {
    var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>()
    var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>()
    var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a22 = SIMD8<Float>()
    var a30 = SIMD8<Float>(), a31 = SIMD8<Float>(), a32 = SIMD8<Float>()
    let d1 = channelStride, d2 = 2 * channelStride, d3 = 3 * channelStride
    for i in 0..<rows {
        let p0 = x + (xr[i] &+ qo[0]), p1 = x + (xr[i] &+ qo[1]), p2 = x + (xr[i] &+ qo[2])
        let d = dyt + i &* woPad
        var col = 0
        while col < woPad {
            let x0 = load8(p0 + col), x1 = load8(p1 + col), x2 = load8(p2 + col)
            var g = load8(d + col)
            a00.addProduct(g, x0); a01.addProduct(g, x1); a02.addProduct(g, x2)
            g = load8(d + d1 + col)
            a10.addProduct(g, x0); a11.addProduct(g, x1); a12.addProduct(g, x2)
            g = load8(d + d2 + col)
            a20.addProduct(g, x0); a21.addProduct(g, x1); a22.addProduct(g, x2)
            g = load8(d + d3 + col)
            a30.addProduct(g, x0); a31.addProduct(g, x1); a32.addProduct(g, x2)
            col &+= 8
        }
    }
    res[0] = a00.sum(); res[1] = a01.sum(); res[2] = a02.sum()
    res[3] = a10.sum(); res[4] = a11.sum(); res[5] = a12.sum()
    res[6] = a20.sum(); res[7] = a21.sum(); res[8] = a22.sum()
    res[9] = a30.sum(); res[10] = a31.sum(); res[11] = a32.sum()
}
