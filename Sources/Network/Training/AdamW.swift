import Foundation
import Tensor

/// AdamW with PyTorch's semantics (torch.optim.AdamW, amsgrad off): for each parameter p with gradient g,
///   p *= 1 - lr * weightDecay                       (decoupled weight decay)
///   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
/// Parameters without a gradient are skipped (as PyTorch skips p.grad is None); each has its own step.
public final class AdamW {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double

    /// Per-parameter state, keyed by parameter name (what checkpoints store).
    public final class State {
        public let exponentialAverage: Tensor
        public let exponentialAverageSquared: Tensor
        public var step: Int
        init(shape: [Int]) {
            exponentialAverage = Tensor(shape: shape); exponentialAverageSquared = Tensor(shape: shape); step = 0
        }
        public init(exponentialAverage: Tensor, exponentialAverageSquared: Tensor, step: Int) {
            self.exponentialAverage = exponentialAverage; self.exponentialAverageSquared = exponentialAverageSquared; self.step = step
        }
    }
    public internal(set) var state: [String: State] = [:]

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 1e-2) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    public func setState(_ s: State, for name: String) { state[name] = s }

    /// One update of every parameter that has a gradient.
    public func step(_ parameters: [Parameter]) {
        for p in parameters {
            guard let g = p.gradient else { continue }
            let s: State
            if let existing = state[p.name] { s = existing } else { s = State(shape: p.shape); state[p.name] = s }
            precondition(s.exponentialAverage.shape == p.shape, "AdamW state for \(p.name) has shape \(s.exponentialAverage.shape), parameter \(p.shape)")
            s.step += 1
            let t = Double(s.step)
            let bc1 = 1 - pow(beta1, t), bc2 = 1 - pow(beta2, t)
            let stepSize = Float(learningRate / bc1)
            let sqrtBC2 = Float(bc2.squareRoot())
            let decay = Float(1 - learningRate * weightDecay)
            let (b1, b2, eps) = (Float(beta1), Float(beta2), Float(epsilon))
            let w = p.value.storage, gs = g.storage, m = s.exponentialAverage.storage, v = s.exponentialAverageSquared.storage
            Parallel.forRanges(p.value.count) { r in
                for i in r {
                    let gi = gs[i]
                    w[i] *= decay
                    m[i] = b1 * m[i] + (1 - b1) * gi
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi
                    w[i] -= stepSize * m[i] / (v[i].squareRoot() / sqrtBC2 + eps)
                }
            }
        }
    }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_:
/// factor maxNorm / (norm + 1e-6), only when below 1). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double) -> Double {
    var total = 0.0
    for p in parameters { if let g = p.gradient { for i in 0..<g.count { total += Double(g.storage[i]) * Double(g.storage[i]) } } }
    let norm = total.squareRoot()
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        for p in parameters { if let g = p.gradient { let f = Float(factor); for i in 0..<g.count { g.storage[i] *= f } } }
    }
    return norm
}

/// Cosine annealing from `initial` to `floor` over `totalSteps` (PyTorch's CosineAnnealingLR closed form):
/// lr(t) = floor + (initial - floor) * (1 + cos(pi * t / totalSteps)) / 2, held at `floor` after the end.
public struct CosineSchedule: Sendable, Equatable {
    public var initial: Double
    public var floor: Double
    public var totalSteps: Int

    public init(initial: Double, floor: Double = 0, totalSteps: Int) {
        precondition(totalSteps > 0, "CosineSchedule needs totalSteps > 0, got \(totalSteps)")
        self.initial = initial; self.floor = floor; self.totalSteps = totalSteps
    }

    public func learningRate(atStep t: Int) -> Double {
        let c = Double(min(max(t, 0), totalSteps)) / Double(totalSteps)
        return floor + (initial - floor) * (1 + cos(Double.pi * c)) / 2
    }
}
