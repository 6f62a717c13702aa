import Testing
import FastKernels
@testable import Tensor

@Suite struct Conv3DTests {
    @Test func smallCaseByHand() {
        // One channel along W: [1, 2, 3] * kernel [1, 1, 1], padding 1 -> [3, 5, 5]; bias 0.5.
        let x = Tensor(shape: [1, 1, 1, 1, 3], values: [1, 2, 3])
        let w = Tensor(shape: [1, 1, 1, 1, 3], values: [1, 1, 1])
        let b = Tensor(shape: [1], values: [0.5])
        for y in [Conv3D.referenceForward(x, weight: w, bias: b, stride: [1, 1, 1], padding: [0, 0, 1]),
                  Conv3D.forward(x, weight: w, bias: b, stride: [1, 1, 1], padding: [0, 0, 1])] {
            #expect(y.array == [3.5, 6.5, 5.5])
        }
        // Stride 2 along W of [1, 2, 3, 4] with kernel [1, 2, 0], padding 1: windows start at iw = -1 and 1.
        let x2 = Tensor(shape: [1, 1, 1, 1, 4], values: [1, 2, 3, 4])
        let w2 = Tensor(shape: [1, 1, 1, 1, 3], values: [1, 2, 0])
        let y2 = Conv3D.forward(x2, weight: w2, bias: nil, stride: [1, 1, 2], padding: [0, 0, 1])
        #expect(y2.array == [2, 8])   // [0*1 + 1*2 + 2*0, 2*1 + 3*2 + 4*0]
    }

    static let cases: [(x: [Int], co: Int, k: [Int], s: [Int])] = [
        ([2, 3, 5, 6, 7], 4, [3, 3, 3], [1, 1, 1]),
        ([1, 3, 6, 7, 8], 5, [3, 3, 3], [2, 2, 2]),
        ([1, 2, 5, 6, 4], 3, [3, 3, 1], [2, 2, 1]),
        ([2, 4, 3, 4, 5], 3, [1, 1, 1], [1, 1, 1]),
        ([1, 4, 6, 4, 6], 2, [1, 1, 1], [2, 2, 2]),
        ([1, 2, 7, 5, 6], 3, [3, 3, 3], [2, 1, 2]),
        ([1, 3, 8, 6, 4], 5, [3, 3, 3], [2, 2, 1]),   // SALT's thin-patch stride, full kernel
    ]

    @Test(arguments: 0..<cases.count) func fastMatchesReference(_ c: Int) {
        let (xs, co, k, s) = Self.cases[c]
        let p = k.map { $0 / 2 }
        let x = KernelCheck.random(xs, seed: 1 + UInt64(c)), w = KernelCheck.random([co, xs[1]] + k, seed: 100 + UInt64(c))
        let b = KernelCheck.random([co], seed: 200)
        let yr = Conv3D.referenceForward(x, weight: w, bias: b, stride: s, padding: p)
        let yf = Conv3D.forward(x, weight: w, bias: b, stride: s, padding: p)
        #expect(KernelCheck.scaledDifference(yf, yr, "conv forward case \(c)") < 1e-5)
        let g = KernelCheck.random(yr.shape, seed: 300)
        let r = Conv3D.referenceBackward(x, weight: w, gradOutput: g, stride: s, padding: p, needInputGradient: true)
        let f = Conv3D.backward(x, weight: w, gradOutput: g, stride: s, padding: p, needInputGradient: true)
        #expect(KernelCheck.scaledDifference(f.input!, r.input!, "conv dx case \(c)") < 1e-5)
        #expect(KernelCheck.scaledDifference(f.weight, r.weight, "conv dw case \(c)") < 1e-5)
        #expect(KernelCheck.scaledDifference(f.bias, r.bias, "conv db case \(c)") < 1e-5)
        let noInput = Conv3D.backward(x, weight: w, gradOutput: g, stride: s, padding: p, needInputGradient: false)
        #expect(noInput.input == nil)
        #expect(KernelCheck.scaledDifference(noInput.weight, r.weight, "conv dw (no dx) case \(c)") < 1e-5)
    }

    /// The direct kernels themselves on every case, including those `forward` sends to sgemm.
    @Test(.enabled(if: CPUFeatures.hasAVX2FMA, "no AVX2+FMA: there is no direct path"), arguments: 0..<cases.count)
    func directKernelsMatchReference(_ c: Int) {
        let (xs, co, k, s) = Self.cases[c]
        let p = k.map { $0 / 2 }
        let x = KernelCheck.random(xs, seed: 1 + UInt64(c)), w = KernelCheck.random([co, xs[1]] + k, seed: 100 + UInt64(c))
        let yr = Conv3D.referenceForward(x, weight: w, bias: nil, stride: s, padding: p)
        #expect(KernelCheck.scaledDifference(Conv3D.fastForward(x, weight: w, bias: nil, stride: s, padding: p), yr, "direct forward case \(c)") < 1e-5)
        let g = KernelCheck.random(yr.shape, seed: 300)
        let r = Conv3D.referenceBackward(x, weight: w, gradOutput: g, stride: s, padding: p, needInputGradient: true)
        let f = Conv3D.fastBackward(x, weight: w, gradOutput: g, stride: s, padding: p, needInputGradient: true)
        #expect(KernelCheck.scaledDifference(f.input!, r.input!, "direct dx case \(c)") < 1e-5)
        #expect(KernelCheck.scaledDifference(f.weight, r.weight, "direct dw case \(c)") < 1e-5)
    }

    @Test func sgemmTakesStridedPointwiseAndAnisotropicStrides() {
        #expect(Conv3D.gemmIsFaster(kernel: [1, 1, 1], stride: [2, 2, 2]))
        #expect(Conv3D.gemmIsFaster(kernel: [3, 3, 3], stride: [2, 2, 1]))
        #expect(Conv3D.gemmIsFaster(kernel: [3, 3, 1], stride: [2, 2, 1]))
        #expect(!Conv3D.gemmIsFaster(kernel: [3, 3, 3], stride: [2, 2, 2]))
        #expect(!Conv3D.gemmIsFaster(kernel: [3, 3, 3], stride: [1, 1, 1]))
        #expect(!Conv3D.gemmIsFaster(kernel: [1, 1, 1], stride: [1, 1, 1]))
    }

    @Test(arguments: [0, 1, 2]) func backwardMatchesFiniteDifferences(_ c: Int) {
        let (xs, co, k, s) = Self.cases[c]
        let p = k.map { $0 / 2 }
        let x = KernelCheck.random([1, 2] + Array(xs[2...]), seed: 7), w = KernelCheck.random([co, 2] + k, seed: 8)
        let b = KernelCheck.random([co], seed: 9)
        let y = Conv3D.referenceForward(x, weight: w, bias: b, stride: s, padding: p)
        let g = KernelCheck.random(y.shape, seed: 10)
        let grads = Conv3D.referenceBackward(x, weight: w, gradOutput: g, stride: s, padding: p, needInputGradient: true)
        let loss = { Conv3D.referenceForward(x, weight: w, bias: b, stride: s, padding: p).dot(g) }
        #expect(KernelCheck.finiteDifference(x, analytic: grads.input!, "conv dx fd \(c)", loss) < 1e-3)
        #expect(KernelCheck.finiteDifference(w, analytic: grads.weight, "conv dw fd \(c)", loss) < 1e-3)
        #expect(KernelCheck.finiteDifference(b, analytic: grads.bias, "conv db fd \(c)", loss) < 1e-3)
    }
}

@Suite struct ConvTranspose3DTests {
    @Test func smallCaseByHand() {
        // x = [1, 2] along W, kernel 2 along W: y = [1*w0, 1*w1, 2*w0, 2*w1] + bias.
        let x = Tensor(shape: [1, 1, 1, 1, 2], values: [1, 2])
        let w = Tensor(shape: [1, 1, 1, 1, 2], values: [3, 5])
        let b = Tensor(shape: [1], values: [1])
        #expect(ConvTranspose3D.referenceForward(x, weight: w, bias: b).array == [4, 6, 7, 11])
        #expect(ConvTranspose3D.forward(x, weight: w, bias: b).array == [4, 6, 7, 11])
    }

    @Test(arguments: [[2, 2, 2], [2, 2, 1], [1, 2, 2]]) func fastMatchesReferenceAndFiniteDifferences(_ k: [Int]) {
        let x = KernelCheck.random([2, 3, 3, 4, 2], seed: 11), w = KernelCheck.random([3, 4] + k, seed: 12)
        let b = KernelCheck.random([4], seed: 13)
        let yr = ConvTranspose3D.referenceForward(x, weight: w, bias: b)
        #expect(KernelCheck.scaledDifference(ConvTranspose3D.forward(x, weight: w, bias: b), yr, "convT forward \(k)") < 1e-5)
        let g = KernelCheck.random(yr.shape, seed: 14)
        let r = ConvTranspose3D.referenceBackward(x, weight: w, gradOutput: g, needInputGradient: true)
        let f = ConvTranspose3D.backward(x, weight: w, gradOutput: g, needInputGradient: true)
        #expect(KernelCheck.scaledDifference(f.input!, r.input!, "convT dx \(k)") < 1e-5)
        #expect(KernelCheck.scaledDifference(f.weight, r.weight, "convT dw \(k)") < 1e-5)
        #expect(KernelCheck.scaledDifference(f.bias, r.bias, "convT db \(k)") < 1e-5)
        let loss = { ConvTranspose3D.referenceForward(x, weight: w, bias: b).dot(g) }
        #expect(KernelCheck.finiteDifference(x, analytic: r.input!, "convT dx fd \(k)", loss) < 1e-3)
        #expect(KernelCheck.finiteDifference(w, analytic: r.weight, "convT dw fd \(k)", loss) < 1e-3)
        #expect(KernelCheck.finiteDifference(b, analytic: r.bias, "convT db fd \(k)", loss) < 1e-3)
    }
}

/// Volumes large enough that the fast paths split their column buffers into several chunks.
@Suite struct ChunkedConvolutionTests {
    @Test func conv3DAcrossChunks() {
        let x = KernelCheck.random([1, 4, 12, 64, 64], seed: 61), w = KernelCheck.random([2, 4, 3, 3, 3], seed: 62)
        let yr = Conv3D.referenceForward(x, weight: w, bias: nil, stride: [1, 1, 1], padding: [1, 1, 1])
        #expect(KernelCheck.scaledDifference(Conv3D.forward(x, weight: w, bias: nil, stride: [1, 1, 1], padding: [1, 1, 1]), yr, "chunked conv forward") < 1e-5)
        let g = KernelCheck.random(yr.shape, seed: 63)
        let r = Conv3D.referenceBackward(x, weight: w, gradOutput: g, stride: [1, 1, 1], padding: [1, 1, 1], needInputGradient: true)
        let f = Conv3D.backward(x, weight: w, gradOutput: g, stride: [1, 1, 1], padding: [1, 1, 1], needInputGradient: true)
        #expect(KernelCheck.scaledDifference(f.input!, r.input!, "chunked conv dx") < 1e-5)
        #expect(KernelCheck.scaledDifference(f.weight, r.weight, "chunked conv dw") < 1e-5)
    }

    @Test func convTransposeAcrossChunks() {
        let x = KernelCheck.random([1, 2, 10, 64, 64], seed: 64), w = KernelCheck.random([2, 16, 2, 2, 2], seed: 65)
        let yr = ConvTranspose3D.referenceForward(x, weight: w, bias: nil)
        #expect(KernelCheck.scaledDifference(ConvTranspose3D.forward(x, weight: w, bias: nil), yr, "chunked convT forward") < 1e-5)
        let g = KernelCheck.random(yr.shape, seed: 66)
        let r = ConvTranspose3D.referenceBackward(x, weight: w, gradOutput: g, needInputGradient: true)
        let f = ConvTranspose3D.backward(x, weight: w, gradOutput: g, needInputGradient: true)
        #expect(KernelCheck.scaledDifference(f.input!, r.input!, "chunked convT dx") < 1e-5)
        #expect(KernelCheck.scaledDifference(f.weight, r.weight, "chunked convT dw") < 1e-5)
    }
}
