import Testing
import Tensor

@Suite struct InstanceNormTests {
    @Test func smallCaseByHand() {
        // Values [1, 3]: mean 2, biased variance 1 -> xhat = [-1, 1] / sqrt(1 + 1e-5); gamma 2, beta 1.
        let x = Tensor(shape: [1, 1, 2], values: [1, 3])
        let (y, st) = InstanceNorm.forward(x, weight: Tensor(shape: [1], values: [2]), bias: Tensor(shape: [1], values: [1]))
        let k = Float(1 / (1.0 + 1e-5).squareRoot())
        #expect(abs(y.storage[0] - (1 - 2 * k)) < 1e-6 && abs(y.storage[1] - (1 + 2 * k)) < 1e-6)
        #expect(st.mean == [2])
    }

    @Test func fastMatchesReferenceAndFiniteDifferences() {
        // An offset of 50 checks the one-pass statistics against cancellation.
        let x = KernelCheck.random([2, 3, 4, 5, 6], seed: 21)
        for i in 0..<x.count { x.storage[i] += 50 }
        let w = KernelCheck.random([3], seed: 22), b = KernelCheck.random([3], seed: 23)
        let (yr, sr) = InstanceNorm.referenceForward(x, weight: w, bias: b)
        let (yf, sf) = InstanceNorm.forward(x, weight: w, bias: b)
        #expect(KernelCheck.scaledDifference(yf, yr, "instance norm forward") < 1e-5)
        let g = KernelCheck.random(x.shape, seed: 24)
        let r = InstanceNorm.referenceBackward(x, weight: w, statistics: sr, gradOutput: g)
        let f = InstanceNorm.backward(x, weight: w, statistics: sf, gradOutput: g)
        #expect(KernelCheck.scaledDifference(f.input, r.input, "instance norm dx") < 1e-4)
        #expect(KernelCheck.scaledDifference(f.weight, r.weight, "instance norm dgamma") < 1e-5)
        #expect(KernelCheck.scaledDifference(f.bias, r.bias, "instance norm dbeta") < 1e-5)
        let loss = { InstanceNorm.referenceForward(x, weight: w, bias: b).output.dot(g) }
        #expect(KernelCheck.finiteDifference(x, analytic: r.input, eps: 1e-2, "instance norm dx fd", loss) < 2e-3)
        #expect(KernelCheck.finiteDifference(w, analytic: r.weight, "instance norm dgamma fd", loss) < 1e-3)
        #expect(KernelCheck.finiteDifference(b, analytic: r.bias, "instance norm dbeta fd", loss) < 1e-3)
    }

    @Test func fusedLeakyReLUMatchesComposition() {
        let x = KernelCheck.random([1, 4, 3, 5, 7], seed: 31)
        let w = KernelCheck.random([4], seed: 32), b = KernelCheck.random([4], seed: 33)
        let (yr, sr) = InstanceNorm.referenceForward(x, weight: w, bias: b)
        let composed = LeakyReLU.referenceForward(yr)
        let (fused, sf) = InstanceNorm.forward(x, weight: w, bias: b, leakySlope: LeakyReLU.slope)
        #expect(KernelCheck.scaledDifference(fused, composed, "norm+lrelu forward") < 1e-5)
        let g = KernelCheck.random(x.shape, seed: 34)
        let r = InstanceNorm.referenceBackward(x, weight: w, statistics: sr, gradOutput: LeakyReLU.referenceBackward(yr, gradOutput: g))
        let f = InstanceNorm.backward(x, weight: w, statistics: sf, gradOutput: g, leakyOutput: fused)
        #expect(KernelCheck.scaledDifference(f.input, r.input, "norm+lrelu dx") < 1e-4)
        #expect(KernelCheck.scaledDifference(f.weight, r.weight, "norm+lrelu dgamma") < 1e-5)
    }
}

@Suite struct LeakyReLUAndChannelTests {
    @Test func leakyReLU() {
        let x = Tensor(shape: [4], values: [-2, 0, 0.5, 3])
        #expect(LeakyReLU.forward(x).array == [-0.02, 0, 0.5, 3])
        #expect(LeakyReLU.referenceForward(x).array == LeakyReLU.forward(x).array)
        let g = Tensor(shape: [4], values: [1, 1, 1, 1])
        #expect(LeakyReLU.backward(x, gradOutput: g).array == [0.01, 0.01, 1, 1])
        let big = KernelCheck.random([3, 1000], seed: 41)
        let gb = KernelCheck.random([3, 1000], seed: 42)
        #expect(LeakyReLU.backward(big, gradOutput: gb).array == LeakyReLU.referenceBackward(big, gradOutput: gb).array)
        // Away from the kink, finite differences agree.
        let x2 = Tensor(shape: [2], values: [-1, 2]), g2 = Tensor(shape: [2], values: [3, 4])
        let l2 = { LeakyReLU.referenceForward(x2).dot(g2) }
        #expect(KernelCheck.finiteDifference(x2, analytic: LeakyReLU.referenceBackward(x2, gradOutput: g2), "lrelu fd", l2) < 1e-4)
    }

    @Test func concatenateAndSplit() {
        let a = KernelCheck.random([2, 3, 2, 2, 2], seed: 51), b = KernelCheck.random([2, 1, 2, 2, 2], seed: 52)
        let c = Tensor.concatenateChannels([a, b])
        #expect(c.shape == [2, 4, 2, 2, 2])
        // Sample 1, channel 3 is b's sample 1, channel 0.
        #expect(c.storage[(1 * 4 + 3) * 8 + 5] == b.storage[1 * 8 + 5])
        #expect(c.storage[(1 * 4 + 2) * 8 + 7] == a.storage[(1 * 3 + 2) * 8 + 7])
        let parts = c.splitChannels([3, 1])
        #expect(parts[0].array == a.array && parts[1].array == b.array)
        // split is the adjoint of concatenate: <concat(a, b), g> = <a, g_a> + <b, g_b>.
        let g = KernelCheck.random(c.shape, seed: 53), gs = g.splitChannels([3, 1])
        let lhs: Double = c.dot(g), rhs: Double = a.dot(gs[0]) + b.dot(gs[1])
        #expect(abs(lhs - rhs) < 1e-9 * max(1, abs(lhs)))
        let s = Tensor.referenceSum(a, a)
        a.add(a.copy())
        #expect(a.array == s.array)
    }
}
