// 3D transposed convolution with kernel == stride and no padding (DynUNet's upsampling), as PyTorch's
// ConvTranspose3d. x: [N, Ci, D, H, W]; w: [Ci, Co, kd, kh, kw] (PyTorch's layout); bias: [Co];
// y: [N, Co, D*kd, H*kh, W*kw] with y[n, o, d*kd+a, h*kh+b, w*kw+c] = bias[o] + sum_i x[n,i,d,h,w] w[i,o,a,b,c].
// Each output voxel comes from exactly one input voxel, so the fast path is one GEMM
// (cols[Co*kvol, P] = w^T x) followed by a scatter with no overlap.

public enum ConvTranspose3D {
    static func check(_ x: Tensor, _ w: Tensor) {
        precondition(x.rank == 5 && w.rank == 5 && x.shape[1] == w.shape[0],
                     "ConvTranspose3D: x \(x.shape) needs weight [Ci=\(x.shape[1]), Co, kd, kh, kw], got \(w.shape)")
    }

    public static func outputShape(_ x: Tensor, _ w: Tensor) -> [Int] {
        [x.shape[0], w.shape[1], x.shape[2] * w.shape[2], x.shape[3] * w.shape[3], x.shape[4] * w.shape[4]]
    }

    // MARK: Reference

    /// Plain loops over the definition; the reference for tests.
    public static func referenceForward(_ x: Tensor, weight w: Tensor, bias: Tensor?) -> Tensor {
        check(x, w)
        let (n, ci, co) = (x.shape[0], x.shape[1], w.shape[1])
        let (D, H, W) = (x.shape[2], x.shape[3], x.shape[4]), (kd, kh, kw) = (w.shape[2], w.shape[3], w.shape[4])
        let y = Tensor(shape: outputShape(x, w))
        let (OD, OH, OW) = (D * kd, H * kh, W * kw)
        for b in 0..<n { for o in 0..<co { for od in 0..<OD { for oh in 0..<OH { for ow in 0..<OW {
            let (d, a) = (od / kd, od % kd), (h, bb) = (oh / kh, oh % kh), (ww, c) = (ow / kw, ow % kw)
            var acc = Double(bias?.storage[o] ?? 0)
            for i in 0..<ci {
                acc += Double(x.storage[(((b * ci + i) * D + d) * H + h) * W + ww]) *
                       Double(w.storage[(((i * co + o) * kd + a) * kh + bb) * kw + c])
            }
            y.storage[(((b * co + o) * OD + od) * OH + oh) * OW + ow] = Float(acc)
        } } } } }
        return y
    }

    /// Plain loops: gradients of sum(y * gradOutput) with respect to x (if asked), weight and bias.
    public static func referenceBackward(_ x: Tensor, weight w: Tensor, gradOutput g: Tensor,
                                         needInputGradient: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        check(x, w)
        precondition(g.shape == outputShape(x, w), "ConvTranspose3D backward: gradOutput \(g.shape) != \(outputShape(x, w))")
        let (n, ci, co) = (x.shape[0], x.shape[1], w.shape[1])
        let (D, H, W) = (x.shape[2], x.shape[3], x.shape[4]), (kd, kh, kw) = (w.shape[2], w.shape[3], w.shape[4])
        let (OD, OH, OW) = (D * kd, H * kh, W * kw)
        var gx = [Double](repeating: 0, count: x.count), gw = [Double](repeating: 0, count: w.count)
        var gb = [Double](repeating: 0, count: co)
        for b in 0..<n { for o in 0..<co { for od in 0..<OD { for oh in 0..<OH { for ow in 0..<OW {
            let (d, a) = (od / kd, od % kd), (h, bb) = (oh / kh, oh % kh), (ww, c) = (ow / kw, ow % kw)
            let gv = Double(g.storage[(((b * co + o) * OD + od) * OH + oh) * OW + ow])
            gb[o] += gv
            for i in 0..<ci {
                let xi = (((b * ci + i) * D + d) * H + h) * W + ww, wi = (((i * co + o) * kd + a) * kh + bb) * kw + c
                gx[xi] += gv * Double(w.storage[wi])
                gw[wi] += gv * Double(x.storage[xi])
            }
        } } } } }
        return (needInputGradient ? Tensor(shape: x.shape, values: gx.map { Float($0) }) : nil,
                Tensor(shape: w.shape, values: gw.map { Float($0) }), Tensor(shape: [co], values: gb.map { Float($0) }))
    }

    // MARK: Fast path (GEMM + scatter)

    /// Moves between cols[(o, a, b, c), (d - d0, h, w)] and y[o, d*kd+a, h*kh+b, w*kw+c] for the input depth
    /// planes d0 ..< d0 + planes of one sample. `toVolume` scatters cols into y (overwriting); otherwise
    /// gathers y into cols.
    static func shuffle(_ cols: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, co: Int, inS: [Int], k: [Int],
                        planes d0: Int, count planes: Int, toVolume: Bool) {
        let (D, H, W) = (inS[0], inS[1], inS[2]), (kd, kh, kw) = (k[0], k[1], k[2])
        let Pc = planes * H * W, (OH, OW) = (H * kh, W * kw), oPlane = D * kd * OH * OW
        Parallel.forRanges(co * kd) { range in
            for job in range {
                let o = job / kd, a = job % kd
                for b in 0..<kh { for c in 0..<kw {
                    let row = cols + (((o * kd + a) * kh + b) * kw + c) * Pc
                    let yo = y + o * oPlane
                    for dd in 0..<planes { for h in 0..<H {
                        let d = d0 + dd
                        let src = row + (dd * H + h) * W
                        let dst = yo + ((d * kd + a) * OH + h * kh + b) * OW + c
                        if toVolume { for ww in 0..<W { dst[ww * kw] = src[ww] } }
                        else { for ww in 0..<W { src[ww] = dst[ww * kw] } }
                    } }
                } }
            }
        }
    }

    /// Input depth planes per GEMM chunk: about 4M floats of columns.
    static func planesPerChunk(m: Int, inS: [Int]) -> Int { max(1, min(inS[0], (4 << 20) / max(1, m * inS[1] * inS[2]))) }

    /// The fast forward; must agree with `referenceForward`.
    public static func forward(_ x: Tensor, weight w: Tensor, bias: Tensor?) -> Tensor {
        check(x, w)
        let (n, ci, co) = (x.shape[0], x.shape[1], w.shape[1])
        let inS = Array(x.shape[2...]), k = Array(w.shape[2...])
        let P = inS.reduce(1, *), M = co * k.reduce(1, *), plane = inS[1] * inS[2]
        let y = Tensor(uninitializedShape: outputShape(x, w))
        let chunk = planesPerChunk(m: M, inS: inS)
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: M * chunk * plane)
        defer { cols.deallocate() }
        let yPlane = y.count / max(1, n * co)
        for b in 0..<n {
            let yb = y.storage + b * co * yPlane
            var d0 = 0
            while d0 < inS[0] {
                let planes = min(chunk, inS[0] - d0), pc = planes * plane
                // cols[M, pc] = w[Ci, M]^T * x[Ci, d0 planes]
                BLAS.sgemm(.transposed, .none, m: M, n: pc, k: ci, a: w.storage, lda: M, b: x.storage + b * ci * P + d0 * plane, ldb: P,
                           c: cols, ldc: pc)
                shuffle(cols, yb, co: co, inS: inS, k: k, planes: d0, count: planes, toVolume: true)
                d0 += planes
            }
            if let bias {
                Parallel.forRanges(co) { range in
                    for o in range { let v = bias.storage[o], p = yb + o * yPlane; for i in 0..<yPlane { p[i] += v } }
                }
            }
        }
        return y
    }

    /// The fast backward; must agree with `referenceBackward`.
    public static func backward(_ x: Tensor, weight w: Tensor, gradOutput g: Tensor,
                                needInputGradient: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        check(x, w)
        precondition(g.shape == outputShape(x, w), "ConvTranspose3D backward: gradOutput \(g.shape) != \(outputShape(x, w))")
        let (n, ci, co) = (x.shape[0], x.shape[1], w.shape[1])
        let inS = Array(x.shape[2...]), k = Array(w.shape[2...])
        let P = inS.reduce(1, *), M = co * k.reduce(1, *), plane = inS[1] * inS[2]
        let gx = needInputGradient ? Tensor(uninitializedShape: x.shape) : nil
        let gw = Tensor(shape: w.shape), gb = Tensor(shape: [co])
        let chunk = planesPerChunk(m: M, inS: inS)
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: M * chunk * plane)
        defer { cols.deallocate() }
        let yPlane = g.count / max(1, n * co)
        for b in 0..<n {
            let gyb = g.storage + b * co * yPlane
            Parallel.forRanges(co) { range in
                for o in range {
                    var s: Double = 0; let p = gyb + o * yPlane
                    for i in 0..<yPlane { s += Double(p[i]) }
                    gb.storage[o] += Float(s)
                }
            }
            var d0 = 0
            while d0 < inS[0] {
                let planes = min(chunk, inS[0] - d0), pc = planes * plane
                shuffle(cols, gyb, co: co, inS: inS, k: k, planes: d0, count: planes, toVolume: false)
                let xb = x.storage + b * ci * P + d0 * plane
                // gw[Ci, M] += x[Ci, pc] * cols[M, pc]^T;  gx[Ci, pc] = w[Ci, M] * cols[M, pc]
                BLAS.sgemm(.none, .transposed, m: ci, n: M, k: pc, a: xb, lda: P, b: cols, ldb: pc, beta: 1, c: gw.storage, ldc: M)
                if let gx {
                    BLAS.sgemm(.none, .none, m: ci, n: pc, k: M, a: w.storage, lda: M, b: cols, ldb: pc,
                               c: gx.storage + b * ci * P + d0 * plane, ldc: P)
                }
                d0 += planes
            }
        }
        return (gx, gw, gb)
    }
}
