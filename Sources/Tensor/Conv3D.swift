// 3D convolution (cross-correlation, as PyTorch's Conv3d), forward and backward.
// x: [N, Ci, D, H, W]; w: [Co, Ci, kd, kh, kw]; bias: [Co]; y: [N, Co, Do, Ho, Wo], row-major, W fastest.
// Do = (D + 2*pd - kd) / sd + 1 (likewise H, W); padding is zero padding, in DynUNet always kernel / 2.
//
// `referenceForward` / `referenceBackward` are plain loops over the definition (Double accumulation): the
// reference for tests. `forward` / `backward` are the fast path: vol2col over a chunk of output rows and
// one `BLAS.sgemm` per chunk, so the column buffer stays small (a few tens of MB) at any volume size.

public enum Conv3D {
    /// The output spatial size for an input size, kernel, stride and padding (3 values each).
    public static func outputSize(input: [Int], kernel: [Int], stride: [Int], padding: [Int]) -> [Int] {
        precondition(input.count == 3 && kernel.count == 3 && stride.count == 3 && padding.count == 3,
                     "Conv3D needs 3 values each: input \(input) kernel \(kernel) stride \(stride) padding \(padding)")
        return (0..<3).map { (input[$0] + 2 * padding[$0] - kernel[$0]) / stride[$0] + 1 }
    }

    static func checkShapes(_ x: Tensor, _ w: Tensor, _ stride: [Int], _ padding: [Int]) {
        precondition(x.rank == 5 && w.rank == 5, "Conv3D: x \(x.shape) and weight \(w.shape) must be rank 5")
        precondition(x.shape[1] == w.shape[1], "Conv3D: x has \(x.shape[1]) channels, weight expects \(w.shape[1]) (x \(x.shape), w \(w.shape))")
        precondition(stride.count == 3 && padding.count == 3 && stride.allSatisfy { $0 >= 1 } && padding.allSatisfy { $0 >= 0 },
                     "Conv3D: stride \(stride) and padding \(padding) must be 3 values each")
    }

    // MARK: Reference

    /// Plain loops over the definition; the reference for tests.
    public static func referenceForward(_ x: Tensor, weight w: Tensor, bias: Tensor?, stride: [Int], padding: [Int]) -> Tensor {
        checkShapes(x, w, stride, padding)
        let (n, ci, co) = (x.shape[0], x.shape[1], w.shape[0])
        let inS = Array(x.shape[2...]), k = Array(w.shape[2...])
        let o = outputSize(input: inS, kernel: k, stride: stride, padding: padding)
        let y = Tensor(shape: [n, co] + o)
        for b in 0..<n { for oc in 0..<co { for od in 0..<o[0] { for oh in 0..<o[1] { for ow in 0..<o[2] {
            var acc = Double(bias?.storage[oc] ?? 0)
            for ic in 0..<ci { for a in 0..<k[0] { for bb in 0..<k[1] { for c in 0..<k[2] {
                let id = od * stride[0] - padding[0] + a, ih = oh * stride[1] - padding[1] + bb, iw = ow * stride[2] - padding[2] + c
                if id < 0 || id >= inS[0] || ih < 0 || ih >= inS[1] || iw < 0 || iw >= inS[2] { continue }
                let xv = x.storage[(((b * ci + ic) * inS[0] + id) * inS[1] + ih) * inS[2] + iw]
                let wv = w.storage[(((oc * ci + ic) * k[0] + a) * k[1] + bb) * k[2] + c]
                acc += Double(xv) * Double(wv)
            } } } }
            y.storage[(((b * co + oc) * o[0] + od) * o[1] + oh) * o[2] + ow] = Float(acc)
        } } } } }
        return y
    }

    /// Plain loops: gradients of sum(y * gradOutput) with respect to x (if asked), weight and bias.
    public static func referenceBackward(_ x: Tensor, weight w: Tensor, gradOutput g: Tensor, stride: [Int], padding: [Int],
                                         needInputGradient: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        checkShapes(x, w, stride, padding)
        let (n, ci, co) = (x.shape[0], x.shape[1], w.shape[0])
        let inS = Array(x.shape[2...]), k = Array(w.shape[2...])
        let o = outputSize(input: inS, kernel: k, stride: stride, padding: padding)
        precondition(g.shape == [n, co] + o, "Conv3D backward: gradOutput \(g.shape) != output shape \([n, co] + o)")
        var gx = [Double](repeating: 0, count: needInputGradient ? x.count : 0)
        var gw = [Double](repeating: 0, count: w.count)
        var gb = [Double](repeating: 0, count: co)
        for b in 0..<n { for oc in 0..<co { for od in 0..<o[0] { for oh in 0..<o[1] { for ow in 0..<o[2] {
            let gv = Double(g.storage[(((b * co + oc) * o[0] + od) * o[1] + oh) * o[2] + ow])
            gb[oc] += gv
            for ic in 0..<ci { for a in 0..<k[0] { for bb in 0..<k[1] { for c in 0..<k[2] {
                let id = od * stride[0] - padding[0] + a, ih = oh * stride[1] - padding[1] + bb, iw = ow * stride[2] - padding[2] + c
                if id < 0 || id >= inS[0] || ih < 0 || ih >= inS[1] || iw < 0 || iw >= inS[2] { continue }
                let xi = (((b * ci + ic) * inS[0] + id) * inS[1] + ih) * inS[2] + iw
                let wi = (((oc * ci + ic) * k[0] + a) * k[1] + bb) * k[2] + c
                gw[wi] += gv * Double(x.storage[xi])
                if needInputGradient { gx[xi] += gv * Double(w.storage[wi]) }
            } } } }
        } } } } }
        return (needInputGradient ? Tensor(shape: x.shape, values: gx.map { Float($0) }) : nil,
                Tensor(shape: w.shape, values: gw.map { Float($0) }),
                Tensor(shape: [co], values: gb.map { Float($0) }))
    }

    // MARK: Fast path (vol2col + sgemm)

    /// Geometry of one convolution, shared by vol2col and col2vol.
    struct Geometry {
        var ci: Int, inS: [Int], k: [Int], o: [Int], s: [Int], p: [Int]
        var kvol: Int { k[0] * k[1] * k[2] }
        var rows: Int { ci * kvol }                   // K of the GEMM
        var outPlane: Int { o[0] * o[1] * o[2] }     // P of the GEMM
        var inPlane: Int { inS[0] * inS[1] * inS[2] }
        /// A pointwise convolution reads x directly as its column matrix.
        var isPointwise: Bool { kvol == 1 && s == [1, 1, 1] && p == [0, 0, 0] }

        init(_ x: Tensor, _ w: Tensor, _ stride: [Int], _ padding: [Int]) {
            ci = x.shape[1]; inS = Array(x.shape[2...]); k = Array(w.shape[2...]); s = stride; p = padding
            o = Conv3D.outputSize(input: inS, kernel: k, stride: stride, padding: padding)
        }

        /// Output rows (od, oh pairs, each `o[2]` wide) per column chunk: about 4M floats of columns.
        var rowsPerChunk: Int { max(1, min(o[0] * o[1], (4 << 20) / max(1, rows * o[2]))) }
    }

    /// Fills col[K, rowCount * Wo] for output rows r0 ..< r0 + rowCount (row r = od * Ho + oh) of one sample.
    static func vol2col(_ x: UnsafePointer<Float>, _ g: Geometry, rowStart r0: Int, rowCount: Int, _ col: UnsafeMutablePointer<Float>) {
        let (kh, kw) = (g.k[1], g.k[2])
        let wo = g.o[2], cols = rowCount * wo
        let (D, H, W) = (g.inS[0], g.inS[1], g.inS[2])
        Parallel.forRanges(g.rows) { range in
            for r in range {
                let ic = r / g.kvol, kk = r % g.kvol
                let a = kk / (kh * kw), b = (kk / kw) % kh, c = kk % kw
                let xc = x + ic * g.inPlane
                let dst = col + r * cols
                for rr in 0..<rowCount {
                    let row = r0 + rr, od = row / g.o[1], oh = row % g.o[1]
                    let id = od * g.s[0] - g.p[0] + a, ih = oh * g.s[1] - g.p[1] + b
                    let out = dst + rr * wo
                    if id < 0 || id >= D || ih < 0 || ih >= H {
                        out.update(repeating: 0, count: wo); continue
                    }
                    let src = xc + (id * H + ih) * W
                    let sw = g.s[2], off = c - g.p[2]
                    if sw == 1 {
                        // iw = ow + off; valid ow in [max(0,-off), min(wo, W - off))
                        let lo = max(0, -off), hi = max(lo, min(wo, W - off))
                        if lo > 0 { out.update(repeating: 0, count: lo) }
                        if hi > lo { (out + lo).update(from: src + lo + off, count: hi - lo) }
                        if hi < wo { (out + hi).update(repeating: 0, count: wo - hi) }
                    } else {
                        for ow in 0..<wo {
                            let iw = ow * sw + off
                            out[ow] = (iw >= 0 && iw < W) ? src[iw] : 0
                        }
                    }
                }
            }
        }
    }

    /// Adds col[K, rowCount * Wo] back into dx (the adjoint of vol2col). Parallel over input channels, so
    /// no two workers write the same element.
    static func col2vol(_ col: UnsafePointer<Float>, _ g: Geometry, rowStart r0: Int, rowCount: Int, _ dx: UnsafeMutablePointer<Float>) {
        let (kh, kw) = (g.k[1], g.k[2])
        let wo = g.o[2], cols = rowCount * wo
        let (D, H, W) = (g.inS[0], g.inS[1], g.inS[2])
        Parallel.forRanges(g.ci) { channels in
            for ic in channels {
                let xc = dx + ic * g.inPlane
                for kk in 0..<g.kvol {
                    let r = ic * g.kvol + kk
                    let a = kk / (kh * kw), b = (kk / kw) % kh, c = kk % kw
                    let srcRow = col + r * cols
                    for rr in 0..<rowCount {
                        let row = r0 + rr, od = row / g.o[1], oh = row % g.o[1]
                        let id = od * g.s[0] - g.p[0] + a, ih = oh * g.s[1] - g.p[1] + b
                        if id < 0 || id >= D || ih < 0 || ih >= H { continue }
                        let dst = xc + (id * H + ih) * W
                        let src = srcRow + rr * wo
                        let sw = g.s[2], off = c - g.p[2]
                        if sw == 1 {
                            let lo = max(0, -off), hi = min(wo, W - off)
                            if hi > lo { for ow in lo..<hi { dst[ow + off] += src[ow] } }
                        } else {
                            for ow in 0..<wo {
                                let iw = ow * sw + off
                                if iw >= 0 && iw < W { dst[iw] += src[ow] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Shapes where vol2col + sgemm beats the direct kernels (`salt bench conv --config default`): a 1x1x1
    /// kernel with a stride (the column buffer is just the subsampled input, and the GEMM has all the
    /// reuse) and strides that differ between axes, such as SALT's (2, 2, 1) down-sampling of thin patches.
    static func gemmIsFaster(kernel: [Int], stride: [Int]) -> Bool {
        let strided = stride.contains { $0 != 1 }
        return strided && (kernel == [1, 1, 1] || Set(stride).count > 1)
    }

    /// The fast forward: vol2col + sgemm per chunk of output rows; must agree with `referenceForward`.
    public static func forward(_ x: Tensor, weight w: Tensor, bias: Tensor?, stride: [Int], padding: [Int]) -> Tensor {
        if fastKernelsEnabled && !gemmIsFaster(kernel: Array(w.shape[2...]), stride: stride) {
            return fastForward(x, weight: w, bias: bias, stride: stride, padding: padding)
        }
        checkShapes(x, w, stride, padding)
        let g = Geometry(x, w, stride, padding)
        let (n, co) = (x.shape[0], w.shape[0])
        let y = Tensor(shape: [n, co] + g.o)
        let P = g.outPlane, K = g.rows
        let chunkRows = g.rowsPerChunk
        let col = g.isPointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: K * chunkRows * g.o[2])
        defer { col?.deallocate() }
        for b in 0..<n {
            let xb = x.storage + b * g.ci * g.inPlane, yb = y.storage + b * co * P
            if g.isPointwise {
                BLAS.sgemm(.none, .none, m: co, n: P, k: K, a: w.storage, lda: K, b: xb, ldb: P, c: yb, ldc: P)
            } else {
                var r0 = 0
                while r0 < g.o[0] * g.o[1] {
                    let rc = min(chunkRows, g.o[0] * g.o[1] - r0), pc = rc * g.o[2]
                    vol2col(xb, g, rowStart: r0, rowCount: rc, col!)
                    BLAS.sgemm(.none, .none, m: co, n: pc, k: K, a: w.storage, lda: K, b: col!, ldb: pc, c: yb + r0 * g.o[2], ldc: P)
                    r0 += rc
                }
            }
            if let bias {
                Parallel.forRanges(co) { range in
                    for oc in range {
                        let v = bias.storage[oc], p = yb + oc * P
                        for i in 0..<P { p[i] += v }
                    }
                }
            }
        }
        return y
    }

    /// The fast backward: gradients of sum(y * gradOutput) for x (if asked), weight and bias; must agree
    /// with `referenceBackward`.
    public static func backward(_ x: Tensor, weight w: Tensor, gradOutput gy: Tensor, stride: [Int], padding: [Int],
                                needInputGradient: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        if fastKernelsEnabled && !gemmIsFaster(kernel: Array(w.shape[2...]), stride: stride) {
            return fastBackward(x, weight: w, gradOutput: gy, stride: stride, padding: padding, needInputGradient: needInputGradient)
        }
        checkShapes(x, w, stride, padding)
        let g = Geometry(x, w, stride, padding)
        let (n, co) = (x.shape[0], w.shape[0])
        precondition(gy.shape == [n, co] + g.o, "Conv3D backward: gradOutput \(gy.shape) != output shape \([n, co] + g.o)")
        let P = g.outPlane, K = g.rows
        let gw = Tensor(shape: w.shape), gb = Tensor(shape: [co])
        let gx = needInputGradient ? Tensor(shape: x.shape) : nil
        let chunkRows = g.rowsPerChunk
        let col = g.isPointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: K * chunkRows * g.o[2])
        let dcol = (g.isPointwise || !needInputGradient) ? nil : UnsafeMutablePointer<Float>.allocate(capacity: K * chunkRows * g.o[2])
        defer { col?.deallocate(); dcol?.deallocate() }
        for b in 0..<n {
            let xb = x.storage + b * g.ci * g.inPlane, gyb = gy.storage + b * co * P
            Parallel.forRanges(co) { range in
                for oc in range {
                    var s: Double = 0
                    let p = gyb + oc * P
                    for i in 0..<P { s += Double(p[i]) }
                    gb.storage[oc] += Float(s)
                }
            }
            if g.isPointwise {
                // gw[Co, K] += gy[Co, P] * x[K, P]^T;  gx[K, P] = w[Co, K]^T * gy[Co, P]
                BLAS.sgemm(.none, .transposed, m: co, n: K, k: P, a: gyb, lda: P, b: xb, ldb: P, beta: 1, c: gw.storage, ldc: K)
                if let gx {
                    BLAS.sgemm(.transposed, .none, m: K, n: P, k: co, a: w.storage, lda: K, b: gyb, ldb: P,
                               c: gx.storage + b * g.ci * g.inPlane, ldc: P)
                }
                continue
            }
            var r0 = 0
            while r0 < g.o[0] * g.o[1] {
                let rc = min(chunkRows, g.o[0] * g.o[1] - r0), pc = rc * g.o[2]
                vol2col(xb, g, rowStart: r0, rowCount: rc, col!)
                BLAS.sgemm(.none, .transposed, m: co, n: K, k: pc, a: gyb + r0 * g.o[2], lda: P, b: col!, ldb: pc,
                           beta: 1, c: gw.storage, ldc: K)
                if let gx, let dcol {
                    BLAS.sgemm(.transposed, .none, m: K, n: pc, k: co, a: w.storage, lda: K, b: gyb + r0 * g.o[2], ldb: P,
                               c: dcol, ldc: pc)
                    col2vol(dcol, g, rowStart: r0, rowCount: rc, gx.storage + b * g.ci * g.inPlane)
                }
                r0 += rc
            }
        }
        return (gx, gw, gb)
    }
}
