// The output-stationary pass shared by forward and input gradient: for a grid of output voxels,
// y[c, v] = bias[c] + sum_{r, tap} w[c, r, tap] * x[r, base(v) + tap] with r over `reduceChannels`.
// Registers hold 16 output channels x 6 voxels (or 8 x 12): 12 accumulators of SIMD8, per (r, tap) two
// weight vectors and six broadcasts feed twelve FMAs.

struct GatherPlan {
    /// Zero-padded input, [reduceChannels][...], channel stride `xChannelStride`.
    var x: UnsafePointer<Float>
    var xChannelStride: Int
    var reduceChannels: Int
    /// Offsets of the taps from a voxel's base offset.
    var taps: UnsafePointer<Int>
    var tapCount: Int
    /// Packed weights [group][reduceChannels][tap][vw].
    var w: UnsafePointer<Float>
    var vw: Int
    var outChannels: Int
    /// [groups * vw].
    var bias: UnsafePointer<Float>
    /// Voxel grid (nd, nh, nw); voxel (a, b, c) reads x at xBase + a*xStep.0 + b*xStep.1 + c*xStep.2
    /// and writes y at yBase + a*yStep.0 + ..., channel stride yChannelStride.
    var grid: (Int, Int, Int)
    var xStep: (Int, Int, Int)
    var xBase: Int
    var y: UnsafeMutablePointer<Float>
    var yChannelStride: Int
    var yStep: (Int, Int, Int)
    var yBase: Int
}

func runGather(_ p: GatherPlan, parallel: ParallelFor) {
    let nv = p.grid.0 * p.grid.1 * p.grid.2
    if nv == 0 { return }
    if p.vw == 8 && p.xStep.2 == 1 && p.grid.2 >= 16 {
        runGatherRows(p, parallel: parallel)
        return
    }
    let jn = p.vw == 16 ? 6 : 12
    let groups = (p.outChannels + p.vw - 1) / p.vw
    // Tiles of whole register blocks, at most 240 voxels so a tile's input rows stay in L2 while the
    // channel groups pass over them. Small volumes (deep levels: 216 voxels, 320 channels) make one tile
    // and split the channel groups instead, so each group's weights are read once per call, not per block.
    let tile = min(240, (nv + jn - 1) / jn * jn)
    let tiles = (nv + tile - 1) / tile
    let groupChunks = tiles >= 8 ? 1 : min(groups, (8 + tiles - 1) / tiles)
    let chunk = max(1, (128 * 1024) / (p.tapCount * p.vw * 4))
    parallel(tiles * groupChunks) { item in
        let ti = item / groupChunks, gc = item % groupChunks
        let v0 = ti * tile, v1 = min(nv, v0 + tile)
        let n = v1 - v0
        let g0 = groups * gc / groupChunks, g1 = groups * (gc + 1) / groupChunks
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * (tile + jn)) { offs in
            let xo = offs.baseAddress!, yo = xo + tile + jn
            var c = v0 % p.grid.2
            var b = (v0 / p.grid.2) % p.grid.1
            var a = v0 / (p.grid.2 * p.grid.1)
            for i in 0..<n {
                xo[i] = p.xBase &+ a &* p.xStep.0 &+ b &* p.xStep.1 &+ c &* p.xStep.2
                yo[i] = p.yBase &+ a &* p.yStep.0 &+ b &* p.yStep.1 &+ c &* p.yStep.2
                c += 1
                if c == p.grid.2 { c = 0; b += 1; if b == p.grid.1 { b = 0; a += 1 } }
            }
            // Pad the last block by repeating the last voxel; its results are not stored.
            let nPad = (n + jn - 1) / jn * jn
            for i in n..<nPad { xo[i] = xo[n - 1] }
            // Accumulators of the whole tile, [voxel][vw]; each register block loads and stores its part.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: (tile + jn) * 16) { accBuf in
                let acc = accBuf.baseAddress!
                let wStride = p.reduceChannels * p.tapCount * p.vw
                for g in g0..<g1 {
                    let wg = p.w + g * wStride
                    let bg = p.bias + g * p.vw
                    let cn = min(p.vw, p.outChannels - g * p.vw)
                    for i in 0..<nPad { (acc + i * p.vw).update(from: bg, count: p.vw) }
                    // Reduction channels in chunks whose weights (<= 128 KB) stay in L2 while the tile's
                    // blocks pass over them; with 640 channels x 27 taps the whole group would be 1.1 MB.
                    var c0 = 0
                    while c0 < p.reduceChannels {
                        let cc = min(chunk, p.reduceChannels - c0)
                        let xc = p.x + c0 * p.xChannelStride, wc = wg + c0 * p.tapCount * p.vw
                        var i = 0
                        while i < n {
                            if p.vw == 16 {
                                gather16x6(xc, xo + i, p.taps, p.tapCount, cc, p.xChannelStride, wc, acc + i * 16)
                            } else {
                                gather8x12(xc, xo + i, p.taps, p.tapCount, cc, p.xChannelStride, wc, acc + i * 8)
                            }
                            i += jn
                        }
                        c0 += cc
                    }
                    for ch in 0..<cn {
                        let yc = p.y + (g * p.vw + ch) * p.yChannelStride
                        for j in 0..<n { yc[yo[j]] = acc[j * p.vw + ch] }
                    }
                }
            }
        }
    }
}

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// 16 channels x 6 voxels: res[6][16] += the sums over `channels` x `tapCount`. `vox` holds 6 base offsets.
@inline(never)
func gather16x6(
    _ x: UnsafePointer<Float>, _ vox: UnsafePointer<Int>, _ taps: UnsafePointer<Int>, _ tapCount: Int,
    _ channels: Int, _ channelStride: Int, _ w: UnsafePointer<Float>, _ res: UnsafeMutablePointer<Float>
) {
    let p0 = x + vox[0], p1 = x + vox[1], p2 = x + vox[2], p3 = x + vox[3], p4 = x + vox[4], p5 = x + vox[5]
    var a00 = load8(res), a10 = load8(res + 8)
    var a01 = load8(res + 16), a11 = load8(res + 24)
    var a02 = load8(res + 32), a12 = load8(res + 40)
    var a03 = load8(res + 48), a13 = load8(res + 56)
    var a04 = load8(res + 64), a14 = load8(res + 72)
    var a05 = load8(res + 80), a15 = load8(res + 88)
    var wp = w
    var cOff = 0
    for _ in 0..<channels {
        var t = 0
        while t < tapCount {
            let k = cOff &+ taps[t]
            let w0 = load8(wp), w1 = load8(wp + 8)
            var s = SIMD8<Float>(repeating: p0[k])
            a00.addProduct(w0, s); a10.addProduct(w1, s)
            s = SIMD8<Float>(repeating: p1[k])
            a01.addProduct(w0, s); a11.addProduct(w1, s)
            s = SIMD8<Float>(repeating: p2[k])
            a02.addProduct(w0, s); a12.addProduct(w1, s)
            s = SIMD8<Float>(repeating: p3[k])
            a03.addProduct(w0, s); a13.addProduct(w1, s)
            s = SIMD8<Float>(repeating: p4[k])
            a04.addProduct(w0, s); a14.addProduct(w1, s)
            s = SIMD8<Float>(repeating: p5[k])
            a05.addProduct(w0, s); a15.addProduct(w1, s)
            wp += 16
            t &+= 1
        }
        cOff &+= channelStride
    }
    store8(a00, res); store8(a10, res + 8)
    store8(a01, res + 16); store8(a11, res + 24)
    store8(a02, res + 32); store8(a12, res + 40)
    store8(a03, res + 48); store8(a13, res + 56)
    store8(a04, res + 64); store8(a14, res + 72)
    store8(a05, res + 80); store8(a15, res + 88)
}

/// 8 channels x 12 voxels: res[12][8] += the sums. `vox` holds 12 base offsets. (Used only where rows
/// are short or strided: its twelve offsets spill registers.)
@inline(never)
func gather8x12(
    _ x: UnsafePointer<Float>, _ vox: UnsafePointer<Int>, _ taps: UnsafePointer<Int>, _ tapCount: Int,
    _ channels: Int, _ channelStride: Int, _ w: UnsafePointer<Float>, _ res: UnsafeMutablePointer<Float>
) {
    var a0 = load8(res), a1 = load8(res + 8), a2 = load8(res + 16), a3 = load8(res + 24)
    var a4 = load8(res + 32), a5 = load8(res + 40), a6 = load8(res + 48), a7 = load8(res + 56)
    var a8 = load8(res + 64), a9 = load8(res + 72), a10 = load8(res + 80), a11 = load8(res + 88)
    let o0 = vox[0], o1 = vox[1], o2 = vox[2], o3 = vox[3], o4 = vox[4], o5 = vox[5]
    let o6 = vox[6], o7 = vox[7], o8 = vox[8], o9 = vox[9], o10 = vox[10], o11 = vox[11]
    var wp = w
    var cOff = 0
    for _ in 0..<channels {
        var t = 0
        while t < tapCount {
            let q = x + (cOff &+ taps[t])
            let w0 = load8(wp)
            a0.addProduct(w0, SIMD8<Float>(repeating: q[o0]))
            a1.addProduct(w0, SIMD8<Float>(repeating: q[o1]))
            a2.addProduct(w0, SIMD8<Float>(repeating: q[o2]))
            a3.addProduct(w0, SIMD8<Float>(repeating: q[o3]))
            a4.addProduct(w0, SIMD8<Float>(repeating: q[o4]))
            a5.addProduct(w0, SIMD8<Float>(repeating: q[o5]))
            a6.addProduct(w0, SIMD8<Float>(repeating: q[o6]))
            a7.addProduct(w0, SIMD8<Float>(repeating: q[o7]))
            a8.addProduct(w0, SIMD8<Float>(repeating: q[o8]))
            a9.addProduct(w0, SIMD8<Float>(repeating: q[o9]))
            a10.addProduct(w0, SIMD8<Float>(repeating: q[o10]))
            a11.addProduct(w0, SIMD8<Float>(repeating: q[o11]))
            wp += 8
            t &+= 1
        }
        cOff &+= channelStride
    }
    store8(a0, res); store8(a1, res + 8); store8(a2, res + 16); store8(a3, res + 24)
    store8(a4, res + 32); store8(a5, res + 40); store8(a6, res + 48); store8(a7, res + 56)
    store8(a8, res + 64); store8(a9, res + 72); store8(a10, res + 80); store8(a11, res + 88)
}
