import Tensor

/// MONAI's DynUNet (monai/networks/nets/dynunet.py) with res_block=True as SALT builds it:
/// input_block (UnetResBlock, stride 1), downsamples[i] (UnetResBlock, level i+1), bottleneck (last
/// level), upsamples[j] (UnetUpBlock from level L-1-j to L-2-j), output_block (1x1x1 conv with bias), and
/// optional deep supervision heads. x: [N, Ci, D, H, W] -> [N, Co, D, H, W].
///
/// `forward(training: true)` caches what backward needs; `backward` accumulates into each
/// `Parameter.gradient` and releases the caches level by level.
public final class DynUNet {
    public let configuration: DynUNetConfiguration
    public let inputBlock: UnetResBlock
    public let downsamples: [UnetResBlock]
    public let bottleneck: UnetResBlock
    public let upsamples: [UnetUpBlock]
    public let outputBlock: UnetOutBlock
    public let deepSupervisionHeads: [UnetOutBlock]

    /// Builds the network and initialises it as MONAI's DynUNet does: conv and transposed-conv weights
    /// kaiming_normal_(a=0.01) (fan_in = weight.size(1) * kernel volume, as PyTorch computes it), biases
    /// 0, norm weights 1 and biases 0, drawn from `seed`.
    public init(_ c: DynUNetConfiguration, seed: UInt64 = 0) {
        configuration = c
        let L = c.levels, f = c.filters
        inputBlock = UnetResBlock(prefix: "input_block", inChannels: c.inChannels, outChannels: f[0], kernel: c.kernels[0], stride: c.strides[0])
        downsamples = (1..<(L - 1)).map { i in
            UnetResBlock(prefix: "downsamples.\(i - 1)", inChannels: f[i - 1], outChannels: f[i], kernel: c.kernels[i], stride: c.strides[i])
        }
        bottleneck = UnetResBlock(prefix: "bottleneck", inChannels: f[L - 2], outChannels: f[L - 1], kernel: c.kernels[L - 1], stride: c.strides[L - 1])
        // MONAI: inp = filters[1:][::-1], out = filters[:-1][::-1], kernel = kernels[1:][::-1],
        // upsample kernel = strides[1:][::-1].
        upsamples = (0..<(L - 1)).map { j in
            let level = L - 1 - j
            return UnetUpBlock(prefix: "upsamples.\(j)", inChannels: f[level], outChannels: f[level - 1],
                               kernel: c.kernels[level], upsampleKernel: c.strides[level])
        }
        outputBlock = UnetOutBlock(prefix: "output_block", inChannels: f[0], outChannels: c.outChannels)
        deepSupervisionHeads = (0..<c.deepSupervisionHeads).map { k in
            UnetOutBlock(prefix: "deep_supervision_heads.\(k)", inChannels: f[k + 1], outChannels: c.outChannels)
        }
        initialise(seed: seed)
    }

    /// Every parameter in PyTorch's named_parameters() order.
    public var parameters: [Parameter] {
        inputBlock.parameters + downsamples.flatMap(\.parameters) + bottleneck.parameters
            + upsamples.flatMap(\.parameters) + outputBlock.parameters + deepSupervisionHeads.flatMap(\.parameters)
    }

    public func parameter(named name: String) -> Parameter? { parameters.first { $0.name == name } }

    var convolutionWeights: [(Parameter, fanIn: Int)] {
        var out: [(Parameter, fanIn: Int)] = []
        func conv(_ c: Convolution) { out.append((c.weight, c.weight.shape[1...].reduce(1, *))) }
        func res(_ b: UnetResBlock) { conv(b.conv1); conv(b.conv2); if let c3 = b.conv3 { conv(c3) } }
        res(inputBlock); downsamples.forEach(res); res(bottleneck)
        for u in upsamples {
            out.append((u.transposedConvolution.weight, u.transposedConvolution.weight.shape[1...].reduce(1, *)))
            conv(u.convBlock.conv1); conv(u.convBlock.conv2)
        }
        conv(outputBlock.conv); deepSupervisionHeads.forEach { conv($0.conv) }
        return out
    }

    /// Kaiming-normal (a = 0.01, fan_in, leaky_relu gain) for every conv weight, in parameter order.
    public func initialise(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let a = 0.01, gain = (2 / (1 + a * a)).squareRoot()
        let convs = convolutionWeights
        for (p, fanIn) in convs {
            let std = gain / Double(fanIn).squareRoot()
            for i in 0..<p.value.count { p.value.storage[i] = Float(rng.normal() * std) }
        }
        for p in parameters where !convs.contains(where: { $0.0 === p }) {
            p.value.fill(p.name.hasSuffix(".weight") && !p.name.hasSuffix("conv.weight") ? 1 : 0)
        }
    }

    /// The main output [N, outChannels, D, H, W]. With `training`, caches activations for `backward`.
    public func forward(_ x: Tensor, training: Bool = false) -> Tensor {
        forwardAll(x, training: training)[0]
    }

    /// The main output followed by one output per deep supervision head at its own (lower) resolution;
    /// `DynUNet.upsampleNearest` brings a head to full size as MONAI does (nearest interpolation).
    public func forwardAll(_ x: Tensor, training: Bool = false) -> [Tensor] {
        let c = configuration
        precondition(x.rank == 5 && x.shape[1] == c.inChannels, "DynUNet: input \(x.shape) must be [N, \(c.inChannels), D, H, W]")
        let total = c.totalStride
        precondition((0..<3).allSatisfy { x.shape[2 + $0] % total[$0] == 0 },
                     "DynUNet: spatial size \(Array(x.shape[2...])) must be a multiple of the total stride \(total)")
        var skips: [Tensor?] = [inputBlock.forward(x, training: training)]
        for d in downsamples { skips.append(d.forward(skips.last!!, training: training)) }
        var out = bottleneck.forward(skips.last!!, training: training)
        var headInputs: [Tensor] = []
        let L = c.levels
        for (j, up) in upsamples.enumerated() {
            let level = L - 2 - j
            let skip = skips[level]!
            skips[level] = nil   // the block keeps what backward needs; inference frees it here
            out = up.forward(out, skip: skip, training: training)
            if level >= 1 && level <= deepSupervisionHeads.count { headInputs.append(out) }
        }
        var results = [outputBlock.forward(out, training: training)]
        // headInputs run from the deepest head's level up to level 1; head k reads level k + 1.
        for (k, head) in deepSupervisionHeads.enumerated() {
            results.append(head.forward(headInputs[headInputs.count - 1 - k], training: training))
        }
        return results
    }

    /// Gradients of sum(output * gradOutput) (+ sum(head_k * headGradients[k])): accumulated into every
    /// parameter's gradient; returns the input gradient when asked. Needs a training forward first.
    @discardableResult
    public func backward(_ gradOutput: Tensor, headGradients: [Tensor] = [], needInputGradient: Bool = false) -> Tensor? {
        precondition(headGradients.isEmpty || headGradients.count == deepSupervisionHeads.count,
                     "DynUNet backward: \(headGradients.count) head gradients for \(deepSupervisionHeads.count) heads")
        let L = configuration.levels
        if headGradients.isEmpty { deepSupervisionHeads.forEach { $0.conv.releaseCache() } }
        var g = outputBlock.backward(gradOutput)   // at the output of the last upsample (level 0)
        var skipGradients = [Tensor?](repeating: nil, count: L - 1)
        // Reverse of the forward order: from the top upsample (level 0) down to the deepest.
        for j in stride(from: upsamples.count - 1, through: 0, by: -1) {
            let level = L - 2 - j
            if level >= 1 && level <= headGradients.count {
                g.add(deepSupervisionHeads[level - 1].backward(headGradients[level - 1]))
            }
            let r = upsamples[j].backward(g)
            skipGradients[level] = r.skip
            g = r.input
        }
        g = bottleneck.backward(g)!                 // at skips[L - 2]
        for i in stride(from: downsamples.count - 1, through: 0, by: -1) {
            g.add(skipGradients[i + 1]!)            // downsamples[i] writes skips[i + 1]
            skipGradients[i + 1] = nil
            g = downsamples[i].backward(g)!
        }
        g.add(skipGradients[0]!)
        return inputBlock.backward(g, needInputGradient: needInputGradient)
    }

    /// Releases every gradient.
    public func zeroGradients() { parameters.forEach { $0.zeroGradient() } }
}

extension DynUNet {
    /// Nearest-neighbour upsampling by whole factors (F.interpolate(mode="nearest") to a multiple size),
    /// as MONAI brings deep supervision heads to the output size. x: [N, C, d, h, w] -> [N, C] + size.
    public static func upsampleNearest(_ x: Tensor, to size: [Int]) -> Tensor {
        let f = (0..<3).map { size[$0] / x.shape[2 + $0] }
        precondition((0..<3).allSatisfy { f[$0] * x.shape[2 + $0] == size[$0] }, "upsampleNearest: \(x.shape) to \(size) is not a whole factor")
        let y = Tensor(shape: Array(x.shape[..<2]) + size)
        let planes = x.shape[0] * x.shape[1], inPlane = x.count / max(1, planes), outPlane = size.reduce(1, *)
        Parallel.forRanges(planes) { r in
            for p in r {
                let src = x.storage + p * inPlane, dst = y.storage + p * outPlane
                for d in 0..<size[0] { for h in 0..<size[1] { for w in 0..<size[2] {
                    dst[(d * size[1] + h) * size[2] + w] = src[((d / f[0]) * x.shape[3] + h / f[1]) * x.shape[4] + w / f[2]]
                } } }
            }
        }
        return y
    }

    /// The adjoint of `upsampleNearest`: sums each block of the full-size gradient.
    public static func upsampleNearestBackward(_ g: Tensor, to shape: [Int]) -> Tensor {
        let size = Array(g.shape[2...]), f = (0..<3).map { size[$0] / shape[2 + $0] }
        let y = Tensor(shape: shape)
        let planes = shape[0] * shape[1], inPlane = y.count / max(1, planes), outPlane = size.reduce(1, *)
        Parallel.forRanges(planes) { r in
            for p in r {
                let src = g.storage + p * outPlane, dst = y.storage + p * inPlane
                for d in 0..<size[0] { for h in 0..<size[1] { for w in 0..<size[2] {
                    dst[((d / f[0]) * shape[3] + h / f[1]) * shape[4] + w / f[2]] += src[(d * size[1] + h) * size[2] + w]
                } } }
            }
        }
        return y
    }
}

extension DynUNet {
    /// Dense multiply-accumulates of every convolution (including transposed and 1x1x1) in one forward
    /// pass of one sample of the given spatial size: for benchmarks' achieved GFLOP/s.
    public func forwardMACs(spatial: [Int]) -> Double {
        let c = configuration
        var sizes: [[Int]] = [], cur = spatial
        for s in c.strides { cur = zip(cur, s).map { $0 / $1 }; sizes.append(cur) }
        func vox(_ l: Int) -> Double { Double(sizes[l].reduce(1, *)) }
        func kvol(_ l: Int) -> Double { Double(c.kernels[l].reduce(1, *)) }
        func res(_ b: UnetResBlock, _ l: Int) -> Double {
            let ci = Double(b.conv1.weight.shape[1]), co = Double(b.conv1.weight.shape[0])
            return vox(l) * co * (ci + co) * kvol(l) + (b.conv3 == nil ? 0 : vox(l) * co * ci)
        }
        var total = res(inputBlock, 0) + res(bottleneck, c.levels - 1)
        for (i, d) in downsamples.enumerated() { total += res(d, i + 1) }
        for level in 1..<c.levels {
            let ci = Double(c.filters[level]), co = Double(c.filters[level - 1])
            total += vox(level) * ci * co * Double(c.strides[level].reduce(1, *))
            total += vox(level - 1) * co * 3 * co * kvol(level)
        }
        total += vox(0) * Double(c.outChannels * c.filters[0])
        for (k, _) in deepSupervisionHeads.enumerated() { total += vox(k + 1) * Double(c.outChannels * c.filters[k + 1]) }
        return total
    }
}
