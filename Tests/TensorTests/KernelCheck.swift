// Helpers for the kernel tests: seeded tensors, comparisons that print the largest difference, and
// central finite differences of a scalar function of one tensor.
import Tensor

enum KernelCheck {
    static func random(_ shape: [Int], seed: UInt64, std: Double = 1) -> Tensor {
        var r = SeededRandom(seed: seed)
        return r.normalTensor(shape, std: std)
    }

    /// Largest |a - b| / max|b| over two tensors; prints it with a label.
    @discardableResult
    static func scaledDifference(_ a: Tensor, _ b: Tensor, _ label: String) -> Double {
        precondition(a.shape == b.shape, "\(label): shapes \(a.shape) vs \(b.shape)")
        var scale: Float = 1e-12, worst: Float = 0
        for i in 0..<b.count { scale = max(scale, abs(b.storage[i])) }
        for i in 0..<b.count {
            let d = abs(a.storage[i] - b.storage[i])
            if d.isNaN { worst = .infinity } else { worst = max(worst, d) }
        }
        let r = Double(worst / scale)
        print("\(label): largest scaled difference \(r)")
        return r
    }

    /// Central finite differences of f at every element of x (or `maxProbes` of them, spread out);
    /// returns the largest difference to `analytic`, scaled by the largest analytic magnitude.
    static func finiteDifference(_ x: Tensor, analytic: Tensor, eps: Float = 1e-2, maxProbes: Int = 60,
                                 _ label: String, _ f: () -> Double) -> Double {
        precondition(analytic.shape == x.shape)
        var scale: Double = 1e-12
        for i in 0..<analytic.count { scale = max(scale, Double(abs(analytic.storage[i]))) }
        let step = max(1, x.count / maxProbes)
        var worst = 0.0
        var i = 0
        while i < x.count {
            let saved = x.storage[i]
            x.storage[i] = saved + eps; let fp = f()
            x.storage[i] = saved - eps; let fm = f()
            x.storage[i] = saved
            let numeric = (fp - fm) / (2 * Double(eps))
            worst = max(worst, abs(numeric - Double(analytic.storage[i])) / scale)
            i += step
        }
        print("\(label): finite-difference scaled difference \(worst)")
        return worst
    }
}
