// FastKernels' direct 3D convolution against plain loops (Double accumulation) over the edge cases of
// the DynUNet plans: 3x3x3 / 3x3x1 / 1x1x1 kernels, strides 1 and 2 (per axis), odd sizes, sizes
// smaller than a register block, Ci = 1, channel counts that are not multiples of 8 or 16, batch 2.
import Testing
import FastKernels
import Tensor
import TestSupport
import Dispatch

/// Seeded uniform floats in [-1, 1) from Tensor's one generator.
extension SeededRandom {
    mutating func floats(_ n: Int) -> [Float] {
        (0..<n).map { _ in Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }
    }
}

/// Plain loops over the definition of Conv3d (PyTorch semantics), accumulated in Double.
enum PlainConv3D {
    static func forward(_ s: Conv3DShape, _ x: [Float], _ w: [Float], _ b: [Float]?) -> [Double] {
        let o = s.output, t = s.taps
        var y = [Double](repeating: 0, count: s.batch * s.outChannels * s.outputVoxels)
        for n in 0..<s.batch { for co in 0..<s.outChannels {
            for od in 0..<o[0] { for oh in 0..<o[1] { for ow in 0..<o[2] {
                var sum = Double(b?[co] ?? 0)
                for ci in 0..<s.inChannels { for kd in 0..<s.kernel[0] { for kh in 0..<s.kernel[1] { for kw in 0..<s.kernel[2] {
                    let id = od * s.stride[0] + kd - s.padding[0]
                    let ih = oh * s.stride[1] + kh - s.padding[1]
                    let iw = ow * s.stride[2] + kw - s.padding[2]
                    if id < 0 || ih < 0 || iw < 0 || id >= s.input[0] || ih >= s.input[1] || iw >= s.input[2] { continue }
                    let xv = x[(((n * s.inChannels + ci) * s.input[0] + id) * s.input[1] + ih) * s.input[2] + iw]
                    let wv = w[(co * s.inChannels + ci) * t + (kd * s.kernel[1] + kh) * s.kernel[2] + kw]
                    sum += Double(xv) * Double(wv)
                } } } }
                y[(((n * s.outChannels + co) * o[0] + od) * o[1] + oh) * o[2] + ow] = sum
            } } }
        } }
        return y
    }

    /// (dx, dw, db) for dy.
    static func backward(_ s: Conv3DShape, _ x: [Float], _ w: [Float], _ dy: [Float]) -> ([Double], [Double], [Double]) {
        let o = s.output, t = s.taps
        var dx = [Double](repeating: 0, count: x.count)
        var dw = [Double](repeating: 0, count: w.count)
        var db = [Double](repeating: 0, count: s.outChannels)
        for n in 0..<s.batch { for co in 0..<s.outChannels {
            for od in 0..<o[0] { for oh in 0..<o[1] { for ow in 0..<o[2] {
                let g = Double(dy[(((n * s.outChannels + co) * o[0] + od) * o[1] + oh) * o[2] + ow])
                db[co] += g
                for ci in 0..<s.inChannels { for kd in 0..<s.kernel[0] { for kh in 0..<s.kernel[1] { for kw in 0..<s.kernel[2] {
                    let id = od * s.stride[0] + kd - s.padding[0]
                    let ih = oh * s.stride[1] + kh - s.padding[1]
                    let iw = ow * s.stride[2] + kw - s.padding[2]
                    if id < 0 || ih < 0 || iw < 0 || id >= s.input[0] || ih >= s.input[1] || iw >= s.input[2] { continue }
                    let xi = (((n * s.inChannels + ci) * s.input[0] + id) * s.input[1] + ih) * s.input[2] + iw
                    let wi = (co * s.inChannels + ci) * t + (kd * s.kernel[1] + kh) * s.kernel[2] + kw
                    dx[xi] += Double(w[wi]) * g
                    dw[wi] += Double(x[xi]) * g
                } } } }
            } } }
        } }
        return (dx, dw, db)
    }
}

/// The direct kernels run only where the CPU has AVX2+FMA (elsewhere Conv3D uses vol2col + sgemm).
@Suite(.enabled(if: CPUFeatures.hasAVX2FMA, "this CPU lacks AVX2+FMA (or SALT_NO_FAST_KERNELS is set)"))
struct FastConv3DTests {
    /// (channels in, out, input DHW, kernel, stride, batch)
    static let cases: [(Int, Int, [Int], [Int], [Int], Int)] = [
        (1, 8, [5, 6, 7], [3, 3, 3], [1, 1, 1], 1),      // first layer, 8 output channels (8x12 blocks)
        (1, 32, [4, 5, 9], [3, 3, 3], [1, 1, 1], 1),     // first layer of the default net (16x6 blocks), input grad to Ci = 1
        (3, 17, [7, 9, 10], [3, 3, 3], [2, 2, 2], 1),    // stride 2, odd sizes, Co not a multiple of 16
        (9, 16, [6, 5, 4], [3, 3, 1], [2, 2, 1], 1),     // anisotropic kernel and stride
        (5, 10, [3, 4, 5], [1, 1, 1], [1, 1, 1], 1),     // 1x1x1 (output convolution)
        (4, 7, [5, 5, 6], [1, 1, 1], [2, 2, 2], 1),      // 1x1x1 stride 2 (residual projection): odd voxels get no gradient
        (20, 33, [4, 4, 4], [3, 3, 3], [1, 1, 1], 2),    // batch 2, fewer voxels than a tile
        (16, 32, [8, 8, 8], [3, 3, 3], [2, 2, 2], 1),    // even sizes, stride 2 as in the encoder
        (12, 24, [1, 3, 2], [3, 3, 3], [1, 1, 1], 1),    // a size-1 axis
        (7, 9, [3, 3, 2], [3, 3, 1], [1, 1, 1], 1),      // Co 9 (one 16-group, 7 empty lanes)
        (3, 8, [3, 4, 37], [3, 3, 3], [1, 1, 1], 1),     // <= 8 channels, rows >= 16: the W-vectorised row kernels
        (6, 5, [2, 3, 17], [3, 3, 3], [1, 1, 1], 2),     // row kernels with 5 channels (a partial block of 4) both ways
        (8, 16, [4, 5, 40], [3, 3, 3], [2, 2, 2], 1),    // stride 2 with 8 input channels: input gradient rows with strided stores
        (10, 20, [5, 6, 7], [1, 1, 1], [2, 2, 2], 2),    // 1x1x1 stride 2, 16-wide groups: reads the input without a copy
        (80, 20, [3, 4, 5], [3, 3, 3], [1, 1, 1], 1),    // 80 channels x 27 taps > one L2-sized chunk (75): chunked sums
    ]

    func shape(_ c: (Int, Int, [Int], [Int], [Int], Int)) -> Conv3DShape {
        Conv3DShape(batch: c.5, inChannels: c.0, outChannels: c.1, input: c.2, kernel: c.3, stride: c.4,
                    padding: c.3.map { $0 / 2 })
    }

    @Test(arguments: 0..<cases.count)
    func forwardMatchesPlainLoops(_ index: Int) {
        let s = shape(Self.cases[index])
        var rng = SeededRandom(seed: UInt64(100 + index))
        let x = rng.floats(s.batch * s.inChannels * s.inputVoxels)
        let w = rng.floats(s.outChannels * s.inChannels * s.taps)
        let b = rng.floats(s.outChannels)
        var y = [Float](repeating: .nan, count: s.batch * s.outChannels * s.outputVoxels)
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in b.withUnsafeBufferPointer { bp in
            y.withUnsafeMutableBufferPointer { yp in
                DirectConv3D.forward(s, x: xp.baseAddress!, weight: wp.baseAddress!, bias: bp.baseAddress!,
                                     y: yp.baseAddress!, parallel: threadedFor)
            }
        } } }
        let ref = PlainConv3D.forward(s, x, w, b)
        let diff = maxScaledDifference(y.map(Double.init), ref)
        print("forward \(s): max scaled difference \(diff)")
        #expect(diff < 1e-5, "forward \(s)")
    }

    @Test(arguments: 0..<cases.count)
    func backwardMatchesPlainLoops(_ index: Int) {
        let s = shape(Self.cases[index])
        var rng = SeededRandom(seed: UInt64(200 + index))
        let x = rng.floats(s.batch * s.inChannels * s.inputVoxels)
        let w = rng.floats(s.outChannels * s.inChannels * s.taps)
        let dy = rng.floats(s.batch * s.outChannels * s.outputVoxels)
        var dx = [Float](repeating: .nan, count: x.count)
        var dw = [Float](repeating: .nan, count: w.count)
        var db = [Float](repeating: .nan, count: s.outChannels)
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in dy.withUnsafeBufferPointer { gp in
            dx.withUnsafeMutableBufferPointer { dxp in
                DirectConv3D.inputGradient(s, gradOutput: gp.baseAddress!, weight: wp.baseAddress!,
                                           gradInput: dxp.baseAddress!, parallel: threadedFor)
            }
            dw.withUnsafeMutableBufferPointer { dwp in db.withUnsafeMutableBufferPointer { dbp in
                DirectConv3D.weightGradient(s, x: xp.baseAddress!, gradOutput: gp.baseAddress!,
                                            gradWeight: dwp.baseAddress!, gradBias: dbp.baseAddress!, parallel: threadedFor)
            } }
        } } }
        let (rdx, rdw, rdb) = PlainConv3D.backward(s, x, w, dy)
        let ddx = maxScaledDifference(dx.map(Double.init), rdx)
        let ddw = maxScaledDifference(dw.map(Double.init), rdw)
        let ddb = maxScaledDifference(db.map(Double.init), rdb)
        print("backward \(s): max scaled difference dx \(ddx) dw \(ddw) db \(ddb)")
        #expect(ddx < 1e-5, "input gradient \(s)")
        #expect(ddw < 1e-5, "weight gradient \(s)")
        #expect(ddb < 1e-5, "bias gradient \(s)")
    }

    /// Padded scratch volumes are reused between calls: a small convolution after a larger one (whose
    /// leftover values fill the buffer) must give exactly the same result as before it.
    @Test func reusedScratchDoesNotLeak() {
        let small = Conv3DShape(batch: 1, inChannels: 3, outChannels: 16, input: [3, 4, 5], kernel: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1])
        let big = Conv3DShape(batch: 1, inChannels: 4, outChannels: 8, input: [9, 9, 9], kernel: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1])
        var rng = SeededRandom(seed: 7)
        let x = rng.floats(small.inChannels * small.inputVoxels), w = rng.floats(small.outChannels * small.inChannels * 27)
        let bx = [Float](repeating: 1e6, count: big.inChannels * big.inputVoxels), bw = rng.floats(big.outChannels * big.inChannels * 27)
        var y1 = [Float](repeating: 0, count: small.outChannels * small.outputVoxels), y2 = y1
        var by = [Float](repeating: 0, count: big.outChannels * big.outputVoxels)
        DirectConv3D.forward(small, x: x, weight: w, bias: nil, y: &y1, parallel: serialFor)
        DirectConv3D.forward(big, x: bx, weight: bw, bias: nil, y: &by, parallel: serialFor)
        DirectConv3D.forward(small, x: x, weight: w, bias: nil, y: &y2, parallel: serialFor)
        #expect(y1 == y2)
        let diff = maxScaledDifference(y1.map(Double.init), PlainConv3D.forward(small, x, w, nil))
        #expect(diff < 1e-5)
    }

    /// One case small enough to work out by hand: a 1x1x3 input, one 1x1x3 kernel [1, 2, 3], padding 1,
    /// bias 10: y = [10 + 2*1 + 3*2, 10 + 1*1 + 2*2 + 3*4, 10 + 1*2 + 2*4] = [18, 27, 20].
    @Test func handWorkedExample() {
        let s = Conv3DShape(batch: 1, inChannels: 1, outChannels: 1, input: [1, 1, 3], kernel: [1, 1, 3],
                            stride: [1, 1, 1], padding: [0, 0, 1])
        let x: [Float] = [1, 2, 4], w: [Float] = [1, 2, 3], b: [Float] = [10]
        var y = [Float](repeating: 0, count: 3)
        DirectConv3D.forward(s, x: x, weight: w, bias: b, y: &y, parallel: serialFor)
        #expect(y == [18, 27, 20])
        // dy = [1, 0, 0]: dx[i] = w[i - o + 1] for o = 0 -> [2, 3, 0]; dw[k] = x[k - 1] -> [0, 1, 2]; db = 1.
        var dx = [Float](repeating: 0, count: 3), dw = [Float](repeating: 0, count: 3), db: [Float] = [0]
        DirectConv3D.inputGradient(s, gradOutput: [1, 0, 0], weight: w, gradInput: &dx, parallel: serialFor)
        DirectConv3D.weightGradient(s, x: x, gradOutput: [1, 0, 0], gradWeight: &dw, gradBias: &db, parallel: serialFor)
        #expect(dx == [2, 3, 0])
        #expect(dw == [0, 1, 2])
        #expect(db == [1])
    }
}

/// Two threads over the items, as Tensor's Parallel would run them, so races would show.
let threadedFor: ParallelFor = { count, body in
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: count) { body($0) }
    }
}
