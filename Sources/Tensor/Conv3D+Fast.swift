// Conv3D on FastKernels' direct SIMD convolution (AVX2+FMA): the path `Conv3D.forward`/`backward` take
// when the CPU supports it, except for the shapes where vol2col + sgemm is faster (`gemmIsFaster`). The
// vol2col + sgemm path in Conv3D.swift remains the fallback on older CPUs (and the baseline `salt bench
// conv` compares against); `referenceForward`/`referenceBackward` remain the reference for tests.
import FastKernels

extension Conv3D {
    /// Whether `forward`/`backward` may use the direct SIMD kernels: true when the CPU has AVX2 and FMA
    /// (and SALT_NO_FAST_KERNELS is unset). Benchmarks switch it off to measure the vol2col path.
    nonisolated(unsafe) public static var fastKernelsEnabled: Bool = CPUFeatures.hasAVX2FMA

    static func fastShape(_ x: Tensor, _ w: Tensor, _ stride: [Int], _ padding: [Int]) -> Conv3DShape {
        checkShapes(x, w, stride, padding)
        return Conv3DShape(batch: x.shape[0], inChannels: x.shape[1], outChannels: w.shape[0],
                           input: Array(x.shape[2...]), kernel: Array(w.shape[2...]), stride: stride, padding: padding)
    }

    /// 1x1x1 kernel, stride 1, no padding: one GEMM per sample beats any direct kernel (no reuse to win).
    static func isUnitPointwise(_ s: Conv3DShape) -> Bool {
        s.kernel == [1, 1, 1] && s.stride == [1, 1, 1] && s.padding == [0, 0, 0]
    }

    /// Direct SIMD forward; same contract as `forward`. Precondition: `CPUFeatures.hasAVX2FMA`.
    public static func fastForward(_ x: Tensor, weight w: Tensor, bias: Tensor?, stride: [Int], padding: [Int]) -> Tensor {
        precondition(CPUFeatures.hasAVX2FMA, "Conv3D.fastForward needs a CPU with AVX2 and FMA")
        let s = fastShape(x, w, stride, padding)
        if let bias { precondition(bias.count == s.outChannels, "Conv3D: bias has \(bias.count) values for \(s.outChannels) output channels") }
        // Both paths overwrite every element of y (GEMM with beta 0, the direct kernel by contract), so it
        // skips the zero fill: one pass less over every activation.
        let y = Tensor(uninitializedShape: [s.batch, s.outChannels] + s.output)
        if isUnitPointwise(s) {
            // A 1x1x1 stride-1 convolution is a plain GEMM on the volume: y[Co, P] = w[Co, Ci] x[Ci, P].
            let p = s.outputVoxels
            for n in 0..<s.batch {
                let yb = y.storage + n * s.outChannels * p
                BLAS.sgemm(.none, .none, m: s.outChannels, n: p, k: s.inChannels, a: w.storage, lda: s.inChannels,
                           b: x.storage + n * s.inChannels * p, ldb: p, c: yb, ldc: p)
                if let bias {
                    Parallel.for(s.outChannels) { o in
                        let v = bias.storage[o], row = yb + o * p
                        for i in 0..<p { row[i] += v }
                    }
                }
            }
            return y
        }
        DirectConv3D.forward(s, x: x.storage, weight: w.storage, bias: bias.map { UnsafePointer($0.storage) },
                             y: y.storage, parallel: Parallel.for)
        return y
    }

    /// Direct SIMD backward; same contract as `backward`. Precondition: `CPUFeatures.hasAVX2FMA`.
    public static func fastBackward(_ x: Tensor, weight w: Tensor, gradOutput gy: Tensor, stride: [Int], padding: [Int],
                                    needInputGradient: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        precondition(CPUFeatures.hasAVX2FMA, "Conv3D.fastBackward needs a CPU with AVX2 and FMA")
        let s = fastShape(x, w, stride, padding)
        precondition(gy.shape == [s.batch, s.outChannels] + s.output,
                     "Conv3D backward: gradOutput \(gy.shape) != output shape \([s.batch, s.outChannels] + s.output)")
        // gw is overwritten by both paths (GEMM with beta 0 for the first sample, weightGradient by contract);
        // gb is accumulated into on the pointwise path, so it starts at zero.
        let gw = Tensor(uninitializedShape: w.shape), gb = Tensor(shape: [s.outChannels])
        if isUnitPointwise(s) {
            // GEMMs: gw[Co, Ci] += gy[Co, P] x[Ci, P]^T, gx[Ci, P] = w[Co, Ci]^T gy[Co, P].
            let p = s.outputVoxels, (ci, co) = (s.inChannels, s.outChannels)
            let gx = needInputGradient ? Tensor(uninitializedShape: x.shape) : nil   // GEMM, beta 0
            for n in 0..<s.batch {
                let gyb = gy.storage + n * co * p, xb = x.storage + n * ci * p
                BLAS.sgemm(.none, .transposed, m: co, n: ci, k: p, a: gyb, lda: p, b: xb, ldb: p,
                           beta: n == 0 ? 0 : 1, c: gw.storage, ldc: ci)
                if let gx {
                    BLAS.sgemm(.transposed, .none, m: ci, n: p, k: co, a: w.storage, lda: ci, b: gyb, ldb: p,
                               c: gx.storage + n * ci * p, ldc: p)
                }
                Parallel.for(co) { o in
                    var sum: Double = 0
                    let row = gyb + o * p
                    for i in 0..<p { sum += Double(row[i]) }
                    gb.storage[o] += Float(sum)
                }
            }
            return (gx, gw, gb)
        }
        DirectConv3D.weightGradient(s, x: x.storage, gradOutput: gy.storage, gradWeight: gw.storage,
                                    gradBias: gb.storage, parallel: Parallel.for)
        var gx: Tensor?
        if needInputGradient {
            gx = Tensor(uninitializedShape: x.shape)   // inputGradient overwrites every element
            DirectConv3D.inputGradient(s, gradOutput: gy.storage, weight: w.storage, gradInput: gx!.storage,
                                       parallel: Parallel.for)
        }
        return (gx, gw, gb)
    }
}
