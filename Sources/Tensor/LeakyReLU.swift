// Leaky ReLU, y = x > 0 ? x : slope * x (MONAI's DynUNet default: slope 0.01), any shape.
// Backward uses x or y alike: for a positive slope they have the same sign.

public enum LeakyReLU {
    public static let slope: Float = 0.01

    /// Plain loop; the reference for tests.
    public static func referenceForward(_ x: Tensor, slope: Float = slope) -> Tensor {
        let y = Tensor(shape: x.shape)
        for i in 0..<x.count { let v = x.storage[i]; y.storage[i] = v > 0 ? v : v * slope }
        return y
    }

    /// Plain loop: gradient of sum(y * gradOutput) given the layer's input or output `x`.
    public static func referenceBackward(_ x: Tensor, gradOutput g: Tensor, slope: Float = slope) -> Tensor {
        precondition(x.shape == g.shape, "LeakyReLU backward: gradOutput \(g.shape) != \(x.shape)")
        let gx = Tensor(shape: x.shape)
        for i in 0..<x.count { gx.storage[i] = x.storage[i] > 0 ? g.storage[i] : g.storage[i] * slope }
        return gx
    }

    /// In place, parallel over ranges.
    public static func applyInPlace(_ x: Tensor, slope: Float = slope) {
        let p = x.storage
        Parallel.forRanges(x.count, oversubscribe: 2) { r in
            for i in r { let v = p[i]; p[i] = v > 0 ? v : v * slope }
        }
    }

    public static func forward(_ x: Tensor, slope: Float = slope) -> Tensor {
        let y = x.copy()
        applyInPlace(y, slope: slope)
        return y
    }

    /// Turns `g` (gradient at the output) into the gradient at the input, in place; `x` is the input or output.
    public static func backwardInPlace(_ x: Tensor, gradient g: Tensor, slope: Float = slope) {
        precondition(x.shape == g.shape, "LeakyReLU backward: gradOutput \(g.shape) != \(x.shape)")
        let xs = x.storage, gs = g.storage
        Parallel.forRanges(x.count, oversubscribe: 2) { r in
            for i in r { if !(xs[i] > 0) { gs[i] *= slope } }
        }
    }

    public static func backward(_ x: Tensor, gradOutput g: Tensor, slope: Float = slope) -> Tensor {
        let gx = g.copy()
        backwardInPlace(x, gradient: gx, slope: slope)
        return gx
    }
}
