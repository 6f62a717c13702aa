import Tensor

/// A trainable tensor with its PyTorch name (e.g. "input_block.conv1.conv.weight") and its gradient,
/// which backward passes accumulate into and `zeroGradient` releases.
public final class Parameter {
    public let name: String
    public let value: Tensor
    /// nil until a backward pass adds to it; the optimiser reads it.
    public internal(set) var gradient: Tensor?

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
    }

    public var shape: [Int] { value.shape }

    /// Adds `g` to the gradient (taking `g` as the gradient itself when there is none yet).
    public func accumulate(_ g: Tensor) {
        precondition(g.shape == value.shape, "gradient \(g.shape) for parameter \(name) of shape \(value.shape)")
        if let existing = gradient { existing.add(g) } else { gradient = g }
    }

    /// Drops the gradient (the memory goes back before the next forward pass).
    public func zeroGradient() { gradient = nil }

    /// Sets the gradient directly (checkpoint tests, gradient clipping scales in place instead).
    public func setGradient(_ g: Tensor?) { gradient = g }
}
