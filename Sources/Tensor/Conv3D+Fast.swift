// Conv3D on FastKernels' direct SIMD convolution (AVX2+FMA): the path `Conv3D.forward`/`backward` take
// when the CPU supports it. The vol2col + sgemm path in Conv3D.swift remains the fallback on older CPUs
// (and the baseline `salt bench conv` compares against); `referenceForward`/`referenceBackward` remain
// the reference for tests.
import FastKernels

extension Conv3D {
    /// Whether `forward`/`backward` use the direct SIMD kernels: true when the CPU has AVX2 and FMA
    /// (and SALT_NO_FAST_KERNELS is unset). Benchmarks switch it off to measure the vol2col path.
    nonisolated(unsafe) public static var fastKernelsEnabled: Bool = CPUFeatures.hasAVX2FMA

    static func fastShape(_ x: Tensor, _ w: Tensor, _ stride: [Int], _ padding: [Int]) -> Conv3DShape {
        checkShapes(x, w, stride, padding)
        return Conv3DShape(batch: x.shape[0], inChannels: x.shape[1], outChannels: w.shape[0],
                           input: Array(x.shape[2...]), kernel: Array(w.shape[2...]), stride: stride, padding: padding)
    }

    /// Direct SIMD forward; same contract as `forward`. Precondition: `CPUFeatures.hasAVX2FMA`.
    public static func fastForward(_ x: Tensor, weight w: Tensor, bias: Tensor?, stride: [Int], padding: [Int]) -> Tensor {
        precondition(CPUFeatures.hasAVX2FMA, "Conv3D.fastForward needs a CPU with AVX2 and FMA")
        let s = fastShape(x, w, stride, padding)
        if let bias { precondition(bias.count == s.outChannels, "Conv3D: bias has \(bias.count) values for \(s.outChannels) output channels") }
        let y = Tensor(shape: [s.batch, s.outChannels] + s.output)
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
        let gw = Tensor(shape: w.shape), gb = Tensor(shape: [s.outChannels])
        DirectConv3D.weightGradient(s, x: x.storage, gradOutput: gy.storage, gradWeight: gw.storage,
                                    gradBias: gb.storage, parallel: Parallel.for)
        var gx: Tensor?
        if needInputGradient {
            gx = Tensor(shape: x.shape)
            DirectConv3D.inputGradient(s, gradOutput: gy.storage, weight: w.storage, gradInput: gx!.storage,
                                       parallel: Parallel.for)
        }
        return (gx, gw, gb)
    }
}
