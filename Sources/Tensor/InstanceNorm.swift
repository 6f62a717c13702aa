// Instance normalisation with a per-channel affine, as PyTorch's InstanceNorm3d(affine=True) in training
// and evaluation alike (no running statistics): each (sample, channel) volume is normalised by its own mean
// and biased variance. x, y: [N, C, D, H, W]; weight (gamma), bias (beta): [C].
// y = gamma * (x - mean) / sqrt(var + eps) + beta, eps = 1e-5.

public enum InstanceNorm {
    public static let epsilon: Float = 1e-5

    /// What backward needs besides x: per (n, c) mean and 1 / sqrt(var + eps), index n * C + c.
    public struct Statistics: Sendable {
        public var mean: [Float]
        public var inverseStd: [Float]
    }

    static func check(_ x: Tensor, _ weight: Tensor, _ bias: Tensor) {
        precondition(x.rank >= 2 && weight.count == x.shape[1] && bias.count == x.shape[1],
                     "InstanceNorm: x \(x.shape) needs weight and bias of \(x.rank >= 2 ? x.shape[1] : -1) values, got \(weight.shape) and \(bias.shape)")
    }

    // MARK: Reference

    /// Plain two-pass loops in Double; the reference for tests.
    public static func referenceForward(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon eps: Float = epsilon) -> (output: Tensor, statistics: Statistics) {
        check(x, weight, bias)
        let (n, c) = (x.shape[0], x.shape[1]), m = x.count / max(1, n * c)
        let y = Tensor(shape: x.shape)
        var mean = [Float](repeating: 0, count: n * c), inv = mean
        for p in 0..<(n * c) {
            let base = p * m
            var s = 0.0
            for i in 0..<m { s += Double(x.storage[base + i]) }
            let mu = s / Double(m)
            var v = 0.0
            for i in 0..<m { let d = Double(x.storage[base + i]) - mu; v += d * d }
            let istd = 1 / (v / Double(m) + Double(eps)).squareRoot()
            let g = Double(weight.storage[p % c]), b = Double(bias.storage[p % c])
            for i in 0..<m { y.storage[base + i] = Float(g * (Double(x.storage[base + i]) - mu) * istd + b) }
            mean[p] = Float(mu); inv[p] = Float(istd)
        }
        return (y, Statistics(mean: mean, inverseStd: inv))
    }

    /// Plain loops: gradients of sum(y * gradOutput) for x, weight and bias.
    public static func referenceBackward(_ x: Tensor, weight: Tensor, statistics st: Statistics, gradOutput gy: Tensor) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        precondition(gy.shape == x.shape, "InstanceNorm backward: gradOutput \(gy.shape) != x \(x.shape)")
        let (n, c) = (x.shape[0], x.shape[1]), m = x.count / max(1, n * c)
        let gx = Tensor(shape: x.shape)
        var gw = [Double](repeating: 0, count: c), gb = gw
        for p in 0..<(n * c) {
            let base = p * m, mu = Double(st.mean[p]), istd = Double(st.inverseStd[p]), g = Double(weight.storage[p % c])
            var sg = 0.0, sgx = 0.0
            for i in 0..<m {
                let gv = Double(gy.storage[base + i]), xh = (Double(x.storage[base + i]) - mu) * istd
                sg += gv; sgx += gv * xh
            }
            gw[p % c] += sgx; gb[p % c] += sg
            for i in 0..<m {
                let gv = Double(gy.storage[base + i]), xh = (Double(x.storage[base + i]) - mu) * istd
                gx.storage[base + i] = Float(g * istd * (gv - sg / Double(m) - xh * sgx / Double(m)))
            }
        }
        return (gx, Tensor(shape: [c], values: gw.map { Float($0) }), Tensor(shape: [c], values: gb.map { Float($0) }))
    }

    // MARK: Fast

    /// One statistics pass (Double sums of x and x^2) and one normalising pass per (n, c), parallel over
    /// the N*C volumes. With `leakySlope` the leaky ReLU is applied in the same pass (y = lrelu(norm(x))).
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon eps: Float = epsilon,
                               leakySlope: Float? = nil) -> (output: Tensor, statistics: Statistics) {
        check(x, weight, bias)
        let (n, c) = (x.shape[0], x.shape[1]), m = x.count / max(1, n * c)
        let y = Tensor(uninitializedShape: x.shape)
        let mean = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * c)
        let inv = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * c)
        defer { mean.deallocate(); inv.deallocate() }
        Parallel.forRanges(n * c) { range in
            for p in range {
                let src = x.storage + p * m, dst = y.storage + p * m
                // Shifted sums (by the first element) keep the one-pass variance accurate for offset data.
                let shift = m > 0 ? src[0] : 0
                var s = 0.0, s2 = 0.0
                var i = 0
                while i + 8 <= m {
                    var a: SIMD8<Float> = .zero
                    var a2: SIMD8<Float> = .zero
                    // Blocks of 8 in Float, folded into Double every 1024 elements to bound rounding.
                    let end = min(m, i + 1024) & ~7
                    while i < end {
                        let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self) - SIMD8(repeating: shift)
                        a += v; a2 += v * v; i += 8
                    }
                    s += Double(a.sum()); s2 += Double(a2.sum())
                }
                while i < m { let v = Double(src[i] - shift); s += v; s2 += v * v; i += 1 }
                let dm = s / Double(m)
                let variance = max(0, s2 / Double(m) - dm * dm)
                let mu = Double(shift) + dm
                let istd = 1 / (variance + Double(eps)).squareRoot()
                mean[p] = Float(mu); inv[p] = Float(istd)
                let scale = weight.storage[p % c] * Float(istd)
                let offset = bias.storage[p % c] - Float(mu) * scale
                if let slope = leakySlope {
                    for j in 0..<m { let v = src[j] * scale + offset; dst[j] = v > 0 ? v : v * slope }
                } else {
                    for j in 0..<m { dst[j] = src[j] * scale + offset }
                }
            }
        }
        return (y, Statistics(mean: Array(mean), inverseStd: Array(inv)))
    }

    /// Gradients of sum(y * gradOutput) for x, weight and bias: one pass for the two sums, one for dx.
    /// With `leakyOutput` (the output of a fused `forward(leakySlope:)`), gradOutput is first taken back
    /// through the leaky ReLU, whose output has the sign of its input.
    public static func backward(_ x: Tensor, weight: Tensor, statistics st: Statistics, gradOutput gy: Tensor,
                                leakyOutput: Tensor? = nil, leakySlope: Float = LeakyReLU.slope) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        precondition(gy.shape == x.shape, "InstanceNorm backward: gradOutput \(gy.shape) != x \(x.shape)")
        let (n, c) = (x.shape[0], x.shape[1]), m = x.count / max(1, n * c)
        let gx = Tensor(uninitializedShape: x.shape)
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * n * c)
        defer { sums.deallocate() }
        Parallel.forRanges(n * c) { range in
            for p in range {
                let xs = x.storage + p * m, gs = gy.storage + p * m, dst = gx.storage + p * m
                let mu = st.mean[p], istd = st.inverseStd[p]
                var sg = 0.0, sgx = 0.0
                let ys = leakyOutput.map { $0.storage + p * m }
                let vmu = SIMD8<Float>(repeating: mu), vslope = SIMD8<Float>(repeating: leakySlope)
                var i = 0
                // Blocks of 8 lanes in Float, folded into Double every 1024 elements to bound rounding.
                while i + 8 <= m {
                    var ag = SIMD8<Float>.zero, agx = SIMD8<Float>.zero
                    let end = min(m, i + 1024) & ~7
                    while i < end {
                        var g = UnsafeRawPointer(gs + i).loadUnaligned(as: SIMD8<Float>.self)
                        if let ys {
                            let y = UnsafeRawPointer(ys + i).loadUnaligned(as: SIMD8<Float>.self)
                            g.replace(with: g * vslope, where: y .<= 0)
                            UnsafeMutableRawPointer(dst + i).storeBytes(of: g, as: SIMD8<Float>.self)   // kept for the dx pass
                        }
                        ag += g
                        agx += g * (UnsafeRawPointer(xs + i).loadUnaligned(as: SIMD8<Float>.self) - vmu)
                        i += 8
                    }
                    sg += Double(ag.sum()); sgx += Double(agx.sum())
                }
                while i < m {
                    var g = gs[i]
                    if let ys { if !(ys[i] > 0) { g *= leakySlope }; dst[i] = g }
                    sg += Double(g); sgx += Double(g * (xs[i] - mu))
                    i += 1
                }
                sgx *= Double(istd)
                sums[2 * p] = sg; sums[2 * p + 1] = sgx
                let k = weight.storage[p % c] * istd
                let a = Float(sg / Double(m)), b = Float(sgx / Double(m)) * istd
                let src: UnsafePointer<Float> = leakyOutput == nil ? UnsafePointer(gs) : UnsafePointer(dst)
                for i in 0..<m { dst[i] = k * (src[i] - a - (xs[i] - mu) * b) }
            }
        }
        let gw = Tensor(shape: [c]), gb = Tensor(shape: [c])
        for p in 0..<(n * c) { gw.storage[p % c] += Float(sums[2 * p + 1]); gb.storage[p % c] += Float(sums[2 * p]) }
        return (gx, gw, gb)
    }
}
