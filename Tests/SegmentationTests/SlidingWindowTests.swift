// Sliding window: MONAI's window plan by hand, the streamed run against the plain reference, padding.
import Foundation
import Testing
import Tensor
import TestSupport
@testable import Segmentation

/// A predictor whose output depends on the window's content and on the position inside the window, so
/// overlapping windows disagree and the blending weights matter.
func syntheticPredictor(channels: Int) -> (Tensor) -> Tensor {
    { window in
        let (d, h, w) = (window.shape[2], window.shape[3], window.shape[4])
        let out = Tensor(shape: [1, channels, d, h, w])
        var mean: Float = 0
        for i in 0..<window.count { mean += window.storage[i] }
        mean /= Float(window.count)
        for c in 0..<channels { for i in 0..<d { for j in 0..<h { for k in 0..<w {
            let x = window.storage[(i * h + j) * w + k]
            out.storage[((c * d + i) * h + j) * w + k] = sin(x * Float(c + 1)) + 0.1 * Float(i - j + 2 * k) / Float(d) + mean
        } } } }
        return out
    }
}

func seededImage(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededRandom(seed: seed)
    let t = Tensor(shape: [1, 1] + shape)
    for i in 0..<t.count { t.storage[i] = Float(rng.uniform(-1, 1)) }
    return t
}

@Suite struct SlidingWindowTests {
    @Test func windowPlanMatchesMONAIByHand() {
        let sw = SlidingWindow(roi: [16, 16, 16], overlap: 0.5)
        // sliding_window golden volume: 40 x 36 x 20.
        #expect(sw.scanInterval(imageSize: [40, 36, 20]) == [8, 8, 8])
        #expect(sw.windowStarts(imageSize: [40, 36, 20]) == [[0, 8, 16, 24], [0, 8, 16, 20], [0, 4]])
        // A window spanning the whole axis: one window, interval = roi.
        #expect(sw.scanInterval(imageSize: [16, 17, 40]) == [16, 8, 8])
        #expect(sw.windowStarts(imageSize: [16, 17, 40]) == [[0], [0, 1], [0, 8, 16, 24]])
        // Overlap near 1 floors the interval to 0, raised to 1.
        let dense = SlidingWindow(roi: [3, 3, 3], overlap: 0.9)
        #expect(dense.scanInterval(imageSize: [5, 5, 5]) == [1, 1, 1])
        #expect(dense.windowStarts(imageSize: [5, 5, 5])[0] == [0, 1, 2])
        // Odd window and overlap 0.25: Int(7 * 0.75) = 5.
        #expect(SlidingWindow(roi: [7, 7, 7], overlap: 0.25).windowStarts(imageSize: [20, 7, 12]) == [[0, 5, 10, 13], [0], [0, 5]])
    }

    @Test func importanceMapIsMONAIGaussian() {
        let sw = SlidingWindow(roi: [16, 16, 16])
        let m = sw.importanceMap()
        // Centre voxel (7.5 - 0.5 from the middle): exp(-0.25 / 8)^3; corner clamped to 1e-3.
        let centre = Float(exp(-0.25 / 8.0 * 3))
        #expect(abs(m[(7 * 16 + 7) * 16 + 7] - centre) < 1e-6)
        #expect(abs(m.max()! - centre) < 1e-6)    // not normalised to 1
        #expect(m[0] == 1e-3)
        #expect(m.min()! == 1e-3)
        // A voxel above the clamp keeps its value: edge of one axis only, exp(-7.5^2/8) * exp(-0.5^2/8)^2.
        let e = Float(exp(-56.25 / 8) * exp(-0.25 / 8) * exp(-0.25 / 8))
        #expect(e < 1e-3 && m[(0 * 16 + 7) * 16 + 7] == 1e-3)
        let wide = SlidingWindow(roi: [4, 4, 4], sigmaScale: 1).importanceMap()
        #expect(wide.min()! > 0.5)  // broad Gaussian: no clamp, smallest weight is the corner value
        #expect(abs(wide[0] - Float(exp(-2.25 / 32 * 3))) < 1e-6)
        #expect(SlidingWindow(roi: [2, 2, 2], blend: .constant).importanceMap() == [Float](repeating: 1, count: 8))
    }

    @Test func streamedRunMatchesReference() throws {
        for (shape, roi, overlap) in [([23, 19, 37], [8, 8, 8], 0.5), ([10, 12, 9], [6, 5, 4], 0.25), ([5, 12, 3], [8, 8, 8], 0.5)] {
            let sw = SlidingWindow(roi: roi, overlap: overlap)
            let image = seededImage(shape, seed: 11)
            let predictor = syntheticPredictor(channels: 3)
            let fast = try sw.blended(image: image, predictor: predictor)
            let slow = try sw.referenceBlended(image: image, predictor: predictor)
            #expect(fast.shape == [1, 3] + shape)
            let worst = maxScaledDifference(fast.array.map(Double.init), slow.array.map(Double.init))
            print("sliding window \(shape) roi \(roi): streamed vs reference, largest scaled difference \(worst)")
            #expect(worst < 1e-6)
        }
    }

    @Test func slabsAreBoundedAndCoverEverySliceOnce() throws {
        let sw = SlidingWindow(roi: [8, 8, 8])
        let image = seededImage([9, 9, 60], seed: 2)
        var covered: [Int] = []
        var largest = 0
        try sw.run(image: image, predictor: syntheticPredictor(channels: 2)) { slab in
            covered += Array(slab.start..<(slab.start + slab.count))
            largest = max(largest, slab.count)
        }
        #expect(covered == Array(0..<60))
        #expect(largest <= 8)  // never more than one window depth at a time
    }

    @Test func paddingUsesTheConstantValue() throws {
        // A constant-1 image smaller than the window on every axis, padded with 0: the predictor sees zeros
        // around the centred image.
        let image = Tensor(shape: [1, 1, 3, 4, 5], repeating: 1)
        var seen: [Float] = []
        let sw = SlidingWindow(roi: [6, 6, 6], paddingValue: 0)
        _ = try sw.blended(image: image) { w in seen = w.array; return Tensor(shape: [1, 1, 6, 6, 6], repeating: 2) }
        #expect(seen.reduce(0, +) == 60)
        // before = (3/2, 2/2, 1/2) = (1, 1, 0): the first padded voxel is 0, (1, 1, 0) holds the image.
        #expect(seen[0] == 0 && seen[(1 * 6 + 1) * 6 + 0] == 1 && seen[(1 * 6 + 1) * 6 + 5] == 0)
    }
}
