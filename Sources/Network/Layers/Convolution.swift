import Tensor

/// A 3D convolution (MONAI's `Convolution` with conv_only: the PyTorch module path ends in ".conv").
/// x: [N, Ci, D, H, W] -> [N, Co, Do, Ho, Wo]; padding kernel / 2 on every axis (MONAI's get_padding for
/// odd kernels). Caches its input for backward when `training`.
public final class Convolution {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: [Int]
    public let padding: [Int]
    var input: Tensor?

    /// `prefix` is the module path, e.g. "input_block.conv1.conv"; weights start at zero (DynUNet initialises).
    public init(prefix: String, inChannels: Int, outChannels: Int, kernel: [Int], stride: [Int], bias: Bool) {
        weight = Parameter(name: prefix + ".weight", value: Tensor(shape: [outChannels, inChannels] + kernel))
        self.bias = bias ? Parameter(name: prefix + ".bias", value: Tensor(shape: [outChannels])) : nil
        self.stride = stride
        self.padding = kernel.map { $0 / 2 }
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        if training { input = x }
        return LayerProfile.measure("conv fwd " + profileKey(x)) {
            Conv3D.forward(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
        }
    }

    /// "Ci->Co KxKxK /S at DxHxW" for LayerProfile.
    func profileKey(_ x: Tensor) -> String {
        let k = weight.shape[2...].map(String.init).joined(separator: "x")
        let s = stride.allSatisfy { $0 == 1 } ? "" : " /" + stride.map(String.init).joined(separator: "")
        return "\(weight.shape[1])->\(weight.shape[0]) \(k)\(s) at \(x.shape[2...].map(String.init).joined(separator: "x"))"
    }

    /// Drops what a training forward kept, when no backward will follow.
    public func releaseCache() { input = nil }

    /// The cached input (for gradients computed outside the layer, see UnetResBlock).
    var cachedInput: Tensor? { input }

    /// Accumulates the parameter gradients (`weightGradient` replaces the computed weight gradient when
    /// given); returns the input gradient when asked. Releases the cache.
    public func backward(_ gy: Tensor, needInputGradient: Bool, weightGradient: Tensor? = nil) -> Tensor? {
        guard let x = input else { preconditionFailure("Convolution \(weight.name): backward without a training forward") }
        let g = LayerProfile.measure("conv bwd " + profileKey(x) + (needInputGradient ? "" : " (no dx)")) {
            Conv3D.backward(x, weight: weight.value, gradOutput: gy, stride: stride, padding: padding, needInputGradient: needInputGradient)
        }
        weight.accumulate(weightGradient ?? g.weight)
        bias?.accumulate(g.bias)
        input = nil
        return g.input
    }
}

/// A transposed 3D convolution with kernel == stride (MONAI's upsampling in UnetUpBlock; no bias there).
/// x: [N, Ci, D, H, W] -> [N, Co, D*kd, H*kh, W*kw]; weight [Ci, Co, kd, kh, kw] as PyTorch.
public final class TransposedConvolution {
    public let weight: Parameter
    public let bias: Parameter?
    var input: Tensor?

    public init(prefix: String, inChannels: Int, outChannels: Int, kernel: [Int], bias: Bool) {
        weight = Parameter(name: prefix + ".weight", value: Tensor(shape: [inChannels, outChannels] + kernel))
        self.bias = bias ? Parameter(name: prefix + ".bias", value: Tensor(shape: [outChannels])) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        if training { input = x }
        return LayerProfile.measure("transposed conv fwd \(weight.shape[0])->\(weight.shape[1]) at \(x.shape[2...].map(String.init).joined(separator: "x"))") {
            ConvTranspose3D.forward(x, weight: weight.value, bias: bias?.value)
        }
    }

    public func backward(_ gy: Tensor, needInputGradient: Bool) -> Tensor? {
        guard let x = input else { preconditionFailure("TransposedConvolution \(weight.name): backward without a training forward") }
        let g = LayerProfile.measure("transposed conv bwd \(weight.shape[0])->\(weight.shape[1]) at \(x.shape[2...].map(String.init).joined(separator: "x"))") {
            ConvTranspose3D.backward(x, weight: weight.value, gradOutput: gy, needInputGradient: needInputGradient)
        }
        weight.accumulate(g.weight)
        bias?.accumulate(g.bias)
        input = nil
        return g.input
    }
}
