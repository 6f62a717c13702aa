// Sliding-window inference with MONAI's semantics (monai.inferers.sliding_window_inference), streamed slab
// by slab along the last axis so the blended C-channel output of a long scan never exists all at once.
// Shapes: image [1, 1, D, H, W] (W = NIfTI k, the slice axis, fastest); predictor output [1, C, d, h, w].
import Foundation
import Tensor

/// Sliding-window inference settings and the window plan derived from them.
///
/// Matches MONAI's `sliding_window_inference` (the reference SALT uses): an axis shorter than the window is
/// padded with `paddingValue`, half before and the rest after; windows step by `scanInterval`
/// (`Int(roi * (1 - overlap))`, at least 1, or the whole axis when the window spans it); the last window on
/// each axis is pulled back to end at the border; each window's output is weighted by the importance map
/// and the sum divided by the summed weights. MONAI adds windows in a different order (k innermost), so
/// results agree to float rounding, not bit for bit.
public struct SlidingWindow: Sendable {
    public enum Blend: String, Sendable { case constant, gaussian }

    /// Window size [d, h, w] in voxels.
    public var roi: [Int]
    /// Fraction of a window shared with its neighbour along each axis, in [0, 1).
    public var overlap: Double
    public var blend: Blend
    /// Gaussian sigma as a fraction of the window size (MONAI's `sigma_scale`).
    public var sigmaScale: Double
    /// Value of the voxels padded around an image smaller than the window (MONAI's `cval`).
    public var paddingValue: Float

    public init(roi: [Int], overlap: Double = 0.5, blend: Blend = .gaussian, sigmaScale: Double = 0.125, paddingValue: Float = 0) {
        precondition(roi.count == 3 && roi.allSatisfy { $0 > 0 }, "window size must be 3 positive values, got \(roi)")
        precondition(overlap >= 0 && overlap < 1, "overlap must be in [0, 1), got \(overlap)")
        self.roi = roi
        self.overlap = overlap
        self.blend = blend
        self.sigmaScale = sigmaScale
        self.paddingValue = paddingValue
    }

    // MARK: - The window plan (MONAI `_get_scan_interval`, `dense_patch_slices`, `compute_importance_map`)

    /// Step between window starts along each axis of an image of `size` (already padded to at least `roi`).
    public func scanInterval(imageSize size: [Int]) -> [Int] {
        (0..<3).map { a in
            if roi[a] == size[a] { return roi[a] }
            let interval = Int(Double(roi[a]) * (1 - overlap))
            return interval > 0 ? interval : 1
        }
    }

    /// Window starts along each axis: i * interval for the first windows, the last one moved back so it ends
    /// at the border (`size` already padded to at least `roi`).
    public func windowStarts(imageSize size: [Int]) -> [[Int]] {
        let interval = scanInterval(imageSize: size)
        return (0..<3).map { a in
            let count: Int
            let n = Int((Double(size[a]) / Double(interval[a])).rounded(.up))
            if let d = (0..<n).first(where: { $0 * interval[a] + roi[a] >= size[a] }) { count = d + 1 } else { count = 1 }
            return (0..<count).map { i in
                let start = i * interval[a]
                return start - max(start + roi[a] - size[a], 0)
            }
        }
    }

    /// The window weights [d, h, w] (w fastest): ones, or a separable Gaussian with sigma = sigmaScale * roi
    /// centred between the middle voxels, not normalised (peak below 1 for even sizes), then every weight
    /// raised to at least max(smallest weight, 1e-3) as MONAI does so no voxel divides by ~0.
    public func importanceMap() -> [Float] {
        let count = roi.reduce(1, *)
        var map = [Float](repeating: 1, count: count)
        if blend == .gaussian {
            // float32 like torch: x = arange(-(n-1)/2, (n-1)/2 + 1), exp(x^2 / (-2 sigma^2)), outer product.
            let axes: [[Float]] = (0..<3).map { a in
                let n = roi[a]
                let sigma = Float(Double(n) * sigmaScale)
                return (0..<n).map { i in
                    let x = Float(-Double(n - 1) / 2 + Double(i))
                    return Foundation.exp(x * x / (-2 * sigma * sigma))
                }
            }
            var p = 0
            for a in 0..<roi[0] { for b in 0..<roi[1] { for c in 0..<roi[2] {
                map[p] = axes[0][a] * axes[1][b] * axes[2][c]
                p += 1
            } } }
        }
        let floor = max(map.min() ?? 1, 1e-3)
        return map.map { max($0, floor) }
    }

    // MARK: - Streaming inference

    /// A finished run of slices along the last axis: the blended output for W slices [start, start + count)
    /// of the (unpadded) image, laid out [C, D, H, count] with the last axis fastest.
    public struct Slab {
        public let start: Int
        public let count: Int
        public let channels: Int
        /// [D, H] of the image.
        public let planeShape: [Int]
        public let values: [Float]

        /// Value of channel `c` at voxel (d, h, start + w).
        @inline(__always) public func value(_ c: Int, _ d: Int, _ h: Int, _ w: Int) -> Float {
            values[((c * planeShape[0] + d) * planeShape[1] + h) * count + w]
        }
    }

    /// Runs `predictor` over every window of `image` ([1, 1, D, H, W]) and hands the blended output to
    /// `consume` slab by slab, in order along W, each slab as soon as no later window touches it. Memory
    /// holds the C-channel sums of one window's depth along W (C x D x H x roi_w floats), never the whole
    /// output. `predictor` gets a window [1, 1, d, h, w] and returns [1, C, d, h, w].
    public func run(image: Tensor, predictor: (Tensor) throws -> Tensor, consume: (Slab) throws -> Void) throws {
        precondition(image.rank == 5 && image.shape[0] == 1 && image.shape[1] == 1, "image must be [1, 1, D, H, W], got \(image.shape)")
        let original = Array(image.shape[2...])
        // Pad axes shorter than the window: half before, the rest after (torch F.pad order as MONAI uses it).
        let padBefore = (0..<3).map { max(roi[$0] - original[$0], 0) / 2 }
        let size = (0..<3).map { max(original[$0], roi[$0]) }
        let padded = size == original ? image : Self.pad(image, to: size, before: padBefore, value: paddingValue)
        let starts = windowStarts(imageSize: size)
        let weights = importanceMap()
        let (sd, sh, sw) = (size[0], size[1], size[2])
        let rw = roi[2]
        let window = Tensor(shape: [1, 1] + roi)

        var channels = -1
        var sums: [Float] = []        // [C, sd, sh, rw]: blended sums for W slices [low, low + rw)
        var weightSums: [Float] = []  // [sd, sh, rw]
        var low = 0                   // padded W index of slot 0
        var emittedUpTo = 0           // padded W index: everything before it has been handed out

        // Hands out padded W slices [emittedUpTo, end) (cropped to the image) and shifts the buffers.
        func finish(upTo end: Int) throws {
            guard end > emittedUpTo, channels > 0 else { return }
            let first = max(emittedUpTo, padBefore[2]), last = min(end, padBefore[2] + original[2])
            if last > first {
                let n = last - first
                var out = [Float](repeating: 0, count: channels * original[0] * original[1] * n)
                for c in 0..<channels {
                    for d in 0..<original[0] {
                        for h in 0..<original[1] {
                            let pd = d + padBefore[0], ph = h + padBefore[1]
                            let src = ((c * sd + pd) * sh + ph) * rw - low, wsrc = (pd * sh + ph) * rw - low
                            let dst = ((c * original[0] + d) * original[1] + h) * n - first
                            for w in first..<last { out[dst + w] = sums[src + w] / weightSums[wsrc + w] }
                        }
                    }
                }
                try consume(Slab(start: first - padBefore[2], count: n, channels: channels, planeShape: [original[0], original[1]], values: out))
            }
            emittedUpTo = end
            // Slide the buffers so slot 0 is `end`.
            let shift = end - low
            if shift > 0 {
                for row in 0..<(channels * sd * sh) { Self.shiftRow(&sums, row * rw, rw, shift) }
                for row in 0..<(sd * sh) { Self.shiftRow(&weightSums, row * rw, rw, shift) }
                low = end
            }
        }

        for (g, ws) in starts[2].enumerated() {
            // Every window of this W start; slices before it are final.
            try finish(upTo: ws)
            for ds in starts[0] {
                for hs in starts[1] {
                    Self.crop(padded, size: size, at: [ds, hs, ws], into: window)
                    let out = try predictor(window)
                    precondition(out.rank == 5 && out.shape[0] == 1 && Array(out.shape[2...]) == roi,
                                 "predictor must return [1, C, \(roi.map(String.init).joined(separator: ", "))], got \(out.shape)")
                    if channels < 0 {
                        channels = out.shape[1]
                        sums = [Float](repeating: 0, count: channels * sd * sh * rw)
                        weightSums = [Float](repeating: 0, count: sd * sh * rw)
                    }
                    precondition(out.shape[1] == channels, "predictor changed its channel count from \(channels) to \(out.shape[1])")
                    Self.accumulate(out, weights: weights, roi: roi, at: [ds, hs, ws - low], into: &sums, weightSums: &weightSums,
                                    channels: channels, plane: [sd, sh], depth: rw)
                }
            }
            if g == starts[2].count - 1 { try finish(upTo: sw) }
        }
    }

    /// Blended output of the whole image, [1, C, D, H, W]: `run` gathered into one tensor (small volumes, tests).
    public func blended(image: Tensor, predictor: (Tensor) throws -> Tensor) throws -> Tensor {
        var slabs: [Slab] = []
        try run(image: image, predictor: predictor) { slabs.append($0) }
        let (d, h, w) = (image.shape[2], image.shape[3], image.shape[4])
        let c = slabs.first?.channels ?? 0
        let out = Tensor(shape: [1, c, d, h, w])
        for s in slabs {
            for ch in 0..<c { for i in 0..<d { for j in 0..<h { for k in 0..<s.count {
                out.storage[((ch * d + i) * h + j) * w + s.start + k] = s.value(ch, i, j, k)
            } } } }
        }
        return out
    }

    /// Plain reference: MONAI's loop as written (pad, whole-volume sums in MONAI's window order, divide,
    /// crop), for tests of `run`.
    public func referenceBlended(image: Tensor, predictor: (Tensor) throws -> Tensor) throws -> Tensor {
        let original = Array(image.shape[2...])
        let before = (0..<3).map { max(roi[$0] - original[$0], 0) / 2 }
        let size = (0..<3).map { max(original[$0], roi[$0]) }
        let padded = Self.pad(image, to: size, before: before, value: paddingValue)
        let weights = importanceMap()
        let starts = windowStarts(imageSize: size)
        var sums: [Float] = [], count = [Float](repeating: 0, count: size.reduce(1, *)), channels = 0
        let window = Tensor(shape: [1, 1] + roi)
        for ds in starts[0] { for hs in starts[1] { for ws in starts[2] {
            Self.crop(padded, size: size, at: [ds, hs, ws], into: window)
            let out = try predictor(window)
            if sums.isEmpty { channels = out.shape[1]; sums = [Float](repeating: 0, count: channels * count.count) }
            for c in 0..<channels { for i in 0..<roi[0] { for j in 0..<roi[1] { for k in 0..<roi[2] {
                let v = ((ds + i) * size[1] + hs + j) * size[2] + ws + k
                let wv = weights[(i * roi[1] + j) * roi[2] + k]
                sums[c * count.count + v] += wv * out.storage[((c * roi[0] + i) * roi[1] + j) * roi[2] + k]
                if c == 0 { count[v] += wv }
            } } } }
        } } }
        let out = Tensor(shape: [1, channels] + original)
        for c in 0..<channels { for i in 0..<original[0] { for j in 0..<original[1] { for k in 0..<original[2] {
            let v = ((i + before[0]) * size[1] + j + before[1]) * size[2] + k + before[2]
            out.storage[((c * original[0] + i) * original[1] + j) * original[2] + k] = sums[c * count.count + v] / count[v]
        } } } }
        return out
    }

    // MARK: - Helpers

    private static func shiftRow(_ a: inout [Float], _ base: Int, _ n: Int, _ shift: Int) {
        if shift >= n {
            for i in 0..<n { a[base + i] = 0 }
            return
        }
        for i in 0..<(n - shift) { a[base + i] = a[base + i + shift] }
        for i in (n - shift)..<n { a[base + i] = 0 }
    }

    private static func pad(_ image: Tensor, to size: [Int], before: [Int], value: Float) -> Tensor {
        let (d, h, w) = (image.shape[2], image.shape[3], image.shape[4])
        let out = Tensor(shape: [1, 1] + size, repeating: value)
        for i in 0..<d { for j in 0..<h {
            let src = (i * h + j) * w, dst = ((i + before[0]) * size[1] + j + before[1]) * size[2] + before[2]
            (out.storage + dst).update(from: image.storage + src, count: w)
        } }
        return out
    }

    private static func crop(_ image: Tensor, size: [Int], at start: [Int], into window: Tensor) {
        let (rd, rh, rw) = (window.shape[2], window.shape[3], window.shape[4])
        for i in 0..<rd { for j in 0..<rh {
            let src = ((start[0] + i) * size[1] + start[1] + j) * size[2] + start[2]
            (window.storage + (i * rh + j) * rw).update(from: image.storage + src, count: rw)
        } }
    }

    /// sums[c, d0 + i, h0 + j, w0 + k] += weight[i, j, k] * out[c, i, j, k]; weightSums likewise.
    private static func accumulate(_ out: Tensor, weights: [Float], roi: [Int], at start: [Int], into sums: inout [Float],
                                   weightSums: inout [Float], channels: Int, plane: [Int], depth: Int) {
        let (rd, rh, rw) = (roi[0], roi[1], roi[2])
        let (sd, sh) = (plane[0], plane[1])
        let p = out.storage
        sums.withUnsafeMutableBufferPointer { s in
            let s = s
            Parallel.for(channels) { c in
                for i in 0..<rd { for j in 0..<rh {
                    let src = ((c * rd + i) * rh + j) * rw, wsrc = (i * rh + j) * rw
                    let dst = ((c * sd + start[0] + i) * sh + start[1] + j) * depth + start[2]
                    for k in 0..<rw { s[dst + k] += weights[wsrc + k] * p[src + k] }
                } }
            }
        }
        for i in 0..<rd { for j in 0..<rh {
            let wsrc = (i * rh + j) * rw, dst = ((start[0] + i) * sh + start[1] + j) * depth + start[2]
            for k in 0..<rw { weightSums[dst + k] += weights[wsrc + k] }
        } }
    }
}
