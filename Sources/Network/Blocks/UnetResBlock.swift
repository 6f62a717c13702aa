import Tensor

/// MONAI's UnetResBlock (monai/networks/blocks/dynunet_block.py):
///   out = lrelu(norm2(conv2(lrelu(norm1(conv1(x))))) + residual),
///   residual = norm3(conv3(x)) (1x1x1 conv, same stride) when in != out channels or stride != 1, else x.
/// conv1 has the block's kernel and stride, conv2 the kernel and stride 1; convolutions without bias.
public final class UnetResBlock {
    public let conv1: Convolution, norm1: InstanceNormalization
    public let conv2: Convolution, norm2: InstanceNormalization
    public let conv3: Convolution?, norm3: InstanceNormalization?
    var output: Tensor?

    public init(prefix: String, inChannels: Int, outChannels: Int, kernel: [Int], stride: [Int]) {
        conv1 = Convolution(prefix: prefix + ".conv1.conv", inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, bias: false)
        conv2 = Convolution(prefix: prefix + ".conv2.conv", inChannels: outChannels, outChannels: outChannels, kernel: kernel, stride: [1, 1, 1], bias: false)
        norm1 = InstanceNormalization(prefix: prefix + ".norm1", channels: outChannels, fusedLeakyReLU: true)
        norm2 = InstanceNormalization(prefix: prefix + ".norm2", channels: outChannels, fusedLeakyReLU: false)
        if inChannels != outChannels || stride.contains(where: { $0 != 1 }) {
            conv3 = Convolution(prefix: prefix + ".conv3.conv", inChannels: inChannels, outChannels: outChannels, kernel: [1, 1, 1], stride: stride, bias: false)
            norm3 = InstanceNormalization(prefix: prefix + ".norm3", channels: outChannels, fusedLeakyReLU: false)
        } else {
            conv3 = nil; norm3 = nil
        }
    }

    /// In PyTorch's registration order: conv1, conv2, norm1, norm2, conv3, norm3.
    public var parameters: [Parameter] {
        conv1.parameters + conv2.parameters + norm1.parameters + norm2.parameters
            + (conv3?.parameters ?? []) + (norm3?.parameters ?? [])
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let a1 = norm1.forward(conv1.forward(x, training: training), training: training)
        let out = norm2.forward(conv2.forward(a1, training: training), training: training)
        if let conv3, let norm3 {
            out.add(norm3.forward(conv3.forward(x, training: training), training: training))
        } else {
            out.add(x)
        }
        LayerProfile.measure("residual add + leaky relu") { LeakyReLU.applyInPlace(out) }
        if training { output = out }
        return out
    }

    /// Takes `gy` (gradient at the output; this call may overwrite it) to the gradient at the input.
    public func backward(_ gy: Tensor, needInputGradient: Bool = true) -> Tensor? {
        guard let out = output else { preconditionFailure("UnetResBlock \(conv1.weight.name): backward without a training forward") }
        output = nil
        LeakyReLU.backwardInPlace(out, gradient: gy)
        // gy is now the gradient at (main + residual), shared by both branches.
        let gMain = norm2.backward(gy)
        let gA1 = conv2.backward(gMain, needInputGradient: true)!
        let gC1 = norm1.backward(gA1)
        let gx = conv1.backward(gC1, needInputGradient: needInputGradient)
        if let conv3, let norm3 {
            let exact = scalarResidualWeightGradient(gy)
            let gr = conv3.backward(norm3.backward(gy), needInputGradient: needInputGradient, weightGradient: exact)
            if let gx, let gr { gx.add(gr) }
        } else if let gx {
            gx.add(gy)
        }
        return gx
    }
}

extension UnetResBlock {
    /// The gradient of conv3's weight when it is one scalar per output channel (1 input channel, 1x1x1,
    /// stride 1: the input block of a single-modality network), or nil otherwise.
    ///
    /// Instance norm makes norm3(w * x) independent of |w| up to eps, so this gradient is ~1e-6 of the
    /// others and the generic sum(dL/dc * x) cancels to float32 noise. In closed form, with c = w x,
    /// s = sqrt(w^2 var(x) + eps) = 1 / istd:  dL/dw = gamma * eps * istd^3 * sum_i g_i (x_i - mean x),
    /// g the gradient at norm3's output; no cancellation (it matches PyTorch in float64).
    func scalarResidualWeightGradient(_ g: Tensor) -> Tensor? {
        guard let conv3, let norm3, conv3.weight.value.count == conv3.weight.shape[0], conv3.stride == [1, 1, 1],
              let x = conv3.cachedInput, let st = norm3.cachedStatistics, x.shape[1] == 1 else { return nil }
        let (n, co) = (g.shape[0], g.shape[1]), m = g.count / max(1, n * co)
        let eps = Double(InstanceNorm.epsilon)
        var out = [Double](repeating: 0, count: co)
        for b in 0..<n {
            let xs = x.storage + b * m
            var mean = 0.0
            for i in 0..<m { mean += Double(xs[i]) }
            mean /= Double(m)
            for c in 0..<co {
                let gs = g.storage + (b * co + c) * m
                var s = 0.0
                for i in 0..<m { s += Double(gs[i]) * (Double(xs[i]) - mean) }
                let istd = Double(st.inverseStd[b * co + c])
                out[c] += Double(norm3.weight.value.storage[c]) * eps * istd * istd * istd * s
            }
        }
        return Tensor(shape: conv3.weight.shape, values: out.map { Float($0) })
    }
}

/// MONAI's UnetBasicBlock: lrelu(norm2(conv2(lrelu(norm1(conv1(x)))))); used inside UnetUpBlock.
public final class UnetBasicBlock {
    public let conv1: Convolution, norm1: InstanceNormalization
    public let conv2: Convolution, norm2: InstanceNormalization

    public init(prefix: String, inChannels: Int, outChannels: Int, kernel: [Int], stride: [Int]) {
        conv1 = Convolution(prefix: prefix + ".conv1.conv", inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, bias: false)
        conv2 = Convolution(prefix: prefix + ".conv2.conv", inChannels: outChannels, outChannels: outChannels, kernel: kernel, stride: [1, 1, 1], bias: false)
        norm1 = InstanceNormalization(prefix: prefix + ".norm1", channels: outChannels, fusedLeakyReLU: true)
        norm2 = InstanceNormalization(prefix: prefix + ".norm2", channels: outChannels, fusedLeakyReLU: true)
    }

    public var parameters: [Parameter] { conv1.parameters + conv2.parameters + norm1.parameters + norm2.parameters }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let a1 = norm1.forward(conv1.forward(x, training: training), training: training)
        return norm2.forward(conv2.forward(a1, training: training), training: training)
    }

    public func backward(_ gy: Tensor, needInputGradient: Bool = true) -> Tensor? {
        let gA1 = conv2.backward(norm2.backward(gy), needInputGradient: true)!
        return conv1.backward(norm1.backward(gA1), needInputGradient: needInputGradient)
    }
}

/// MONAI's UnetUpBlock: transposed conv (kernel = stride = upsample kernel, no bias), concatenation with
/// the skip (upsampled first), then a UnetBasicBlock with stride 1.
public final class UnetUpBlock {
    public let transposedConvolution: TransposedConvolution
    public let convBlock: UnetBasicBlock
    let outChannels: Int

    public init(prefix: String, inChannels: Int, outChannels: Int, kernel: [Int], upsampleKernel: [Int]) {
        transposedConvolution = TransposedConvolution(prefix: prefix + ".transp_conv.conv", inChannels: inChannels, outChannels: outChannels,
                                                      kernel: upsampleKernel, bias: false)
        convBlock = UnetBasicBlock(prefix: prefix + ".conv_block", inChannels: 2 * outChannels, outChannels: outChannels,
                                   kernel: kernel, stride: [1, 1, 1])
        self.outChannels = outChannels
    }

    public var parameters: [Parameter] { transposedConvolution.parameters + convBlock.parameters }

    public func forward(_ x: Tensor, skip: Tensor, training: Bool) -> Tensor {
        let up = transposedConvolution.forward(x, training: training)
        precondition(Array(up.shape[2...]) == Array(skip.shape[2...]),
                     "UnetUpBlock: upsampled \(up.shape) does not match skip \(skip.shape)")
        let joined = LayerProfile.measure("concatenate skip") { Tensor.concatenateChannels([up, skip]) }
        return convBlock.forward(joined, training: training)
    }

    /// Returns the gradients at x and at the skip input.
    public func backward(_ gy: Tensor) -> (input: Tensor, skip: Tensor) {
        let gCat = convBlock.backward(gy, needInputGradient: true)!
        let parts = LayerProfile.measure("split skip gradient") { gCat.splitChannels([outChannels, outChannels]) }
        let gx = transposedConvolution.backward(parts[0], needInputGradient: true)!
        return (gx, parts[1])
    }
}

/// MONAI's UnetOutBlock: a 1x1x1 convolution with bias ("<prefix>.conv.conv").
public final class UnetOutBlock {
    public let conv: Convolution

    public init(prefix: String, inChannels: Int, outChannels: Int) {
        conv = Convolution(prefix: prefix + ".conv.conv", inChannels: inChannels, outChannels: outChannels, kernel: [1, 1, 1], stride: [1, 1, 1], bias: true)
    }

    public var parameters: [Parameter] { conv.parameters }

    public func forward(_ x: Tensor, training: Bool) -> Tensor { conv.forward(x, training: training) }

    public func backward(_ gy: Tensor) -> Tensor { conv.backward(gy, needInputGradient: true)! }
}
