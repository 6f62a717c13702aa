import Tensor

/// Instance norm with affine (PyTorch InstanceNorm3d(affine=True), eps 1e-5), optionally fused with the
/// leaky ReLU that follows it. Parameters "<prefix>.weight" (1) and "<prefix>.bias" (0).
public final class InstanceNormalization {
    public let weight: Parameter
    public let bias: Parameter
    /// Apply leaky ReLU (slope 0.01) to the output in the same pass.
    public let fusedLeakyReLU: Bool
    var input: Tensor?
    var output: Tensor?
    var statistics: InstanceNorm.Statistics?

    public init(prefix: String, channels: Int, fusedLeakyReLU: Bool) {
        weight = Parameter(name: prefix + ".weight", value: Tensor(shape: [channels], repeating: 1))
        bias = Parameter(name: prefix + ".bias", value: Tensor(shape: [channels]))
        self.fusedLeakyReLU = fusedLeakyReLU
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let (y, st) = LayerProfile.measure("instance norm fwd") {
            InstanceNorm.forward(x, weight: weight.value, bias: bias.value, leakySlope: fusedLeakyReLU ? LeakyReLU.slope : nil)
        }
        if training {
            input = x; statistics = st
            if fusedLeakyReLU { output = y }
        }
        return y
    }

    /// Per (n, c) 1 / sqrt(var + eps) of the last training forward.
    var cachedStatistics: InstanceNorm.Statistics? { statistics }

    /// Gradient at the input (taken through the fused leaky ReLU when there is one); releases the cache.
    public func backward(_ gy: Tensor) -> Tensor {
        guard let x = input, let st = statistics else { preconditionFailure("InstanceNormalization \(weight.name): backward without a training forward") }
        let g = LayerProfile.measure("instance norm bwd") {
            InstanceNorm.backward(x, weight: weight.value, statistics: st, gradOutput: gy, leakyOutput: output)
        }
        weight.accumulate(g.weight)
        bias.accumulate(g.bias)
        input = nil; output = nil; statistics = nil
        return g.input
    }
}
