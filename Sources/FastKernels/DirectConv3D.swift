// Direct 3D convolution (no column buffer) for the shapes a DynUNet plan produces: any kernel size
// (3x3x3, 3x3x1, 1x1x1, ...), any stride (1, 2), any padding, any channel counts.
//
// x: [N, Ci, D, H, W]; weight: [Co, Ci, kd, kh, kw]; bias: [Co]; y: [N, Co, Do, Ho, Wo]; row-major,
// W fastest. Do = (D + 2 pd - kd) / sd + 1 (floor), likewise Ho, Wo (PyTorch's Conv3d).
//
// Every pass vectorises over output channels of the pass (8 or 16 per register group) and blocks
// registers over voxels, so odd spatial sizes, tiny volumes (4x4x4) and strided access cost nothing
// extra: the input is only ever read by scalar broadcasts, from a zero-padded copy so borders need no
// branches.
// - forward: y[co, o] = b[co] + sum_{ci,k} w[co,ci,k] x[ci, o*s + k - p]   (gather over taps)
// - input gradient: dx[ci, i] = sum_{co, k: i = o*s + k - p} w[co,ci,k] dy[co, o]. The voxels i are
//   split into s_d*s_h*s_w residue classes (i mod s); inside a class the taps that reach it are fixed,
//   so each class is a plain stride-1 gather over a padded dy with its own tap list. Stride 1 is the
//   single class (a convolution with the flipped, transposed kernel).
// - weight gradient: dw[co, ci, k] = sum_o dy[co, o] x[ci, o*s + k - p]: accumulators (16 output
//   channels x 6 (ci, k) pairs) stay in registers while the loop runs over voxels.
// Threads: each pass cuts its work into independent items and hands them to the caller's `ParallelFor`.

#if canImport(Glibc)
import Glibc   // pthread_mutex for ScratchPool
#endif

/// The shape of one convolution. Spatial triples are (D, H, W).
public struct Conv3DShape: Equatable, CustomStringConvertible {
    public var batch: Int
    public var inChannels: Int
    public var outChannels: Int
    public var input: [Int]
    public var kernel: [Int]
    public var stride: [Int]
    public var padding: [Int]

    public init(batch: Int, inChannels: Int, outChannels: Int, input: [Int], kernel: [Int], stride: [Int], padding: [Int]) {
        precondition(input.count == 3 && kernel.count == 3 && stride.count == 3 && padding.count == 3,
                     "Conv3DShape needs 3 values each, got input \(input) kernel \(kernel) stride \(stride) padding \(padding)")
        precondition(batch >= 0 && inChannels > 0 && outChannels > 0, "Conv3DShape channels \(inChannels) -> \(outChannels), batch \(batch)")
        precondition(kernel.allSatisfy { $0 > 0 } && stride.allSatisfy { $0 > 0 } && padding.allSatisfy { $0 >= 0 },
                     "Conv3DShape kernel \(kernel) stride \(stride) padding \(padding)")
        self.batch = batch; self.inChannels = inChannels; self.outChannels = outChannels
        self.input = input; self.kernel = kernel; self.stride = stride; self.padding = padding
        for a in 0..<3 {
            precondition(input[a] + 2 * padding[a] >= kernel[a], "Conv3DShape: input \(input) too small for kernel \(kernel) with padding \(padding)")
        }
    }

    /// (Do, Ho, Wo).
    public var output: [Int] { (0..<3).map { (input[$0] + 2 * padding[$0] - kernel[$0]) / stride[$0] + 1 } }
    public var inputVoxels: Int { input[0] * input[1] * input[2] }
    public var outputVoxels: Int { output.reduce(1, *) }
    public var taps: Int { kernel[0] * kernel[1] * kernel[2] }
    /// Multiply-adds of the forward pass (dense, padding included).
    public var macs: Int { batch * outputVoxels * outChannels * inChannels * taps }

    public var description: String {
        "conv \(inChannels)->\(outChannels) in \(input.map(String.init).joined(separator: "x")) kernel \(kernel.map(String.init).joined(separator: "x")) stride \(stride.map(String.init).joined(separator: "x")) batch \(batch)"
    }
}

public enum DirectConv3D {
    /// y = conv(x, weight) + bias. `y` is overwritten; its contents on entry do not matter.
    public static func forward(
        _ s: Conv3DShape, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, parallel: ParallelFor
    ) {
        let out = s.output
        let vw = groupWidth(s.outChannels)
        let groups = (s.outChannels + vw - 1) / vw
        let t = s.taps
        // Zero halo: low side = padding, high side = whatever the last output's window reaches past the end.
        let lo = s.padding
        let hi = highPadding(s)
        // Row kernels (<= 8 channels, unit W stride) read past a row's end, so they always need the copy.
        let borrow = !(vw == 8 && s.stride[2] == 1)
        let padded = PaddedVolume(channels: s.inChannels, size: s.input, low: lo, high: hi, borrowIfUnpadded: borrow)
        defer { padded.deallocate() }

        // Weights packed [g][ci][tap][lane], co = g * vw + lane, zero past Co (Scratch starts zeroed).
        let wp = Scratch<Float>(count: groups * s.inChannels * t * vw)
        defer { wp.deallocate() }
        let (cin, cout) = (s.inChannels, s.outChannels)
        parallel(cout) { co in
            let g = co / vw, lane = co % vw
            let src = weight + co * cin * t
            let dst = wp.p + g * cin * t * vw + lane
            for j in 0..<(cin * t) { dst[j * vw] = src[j] }
        }
        let bp = Scratch<Float>(count: groups * vw)
        defer { bp.deallocate() }
        for co in 0..<s.outChannels { bp.p[co] = bias?[co] ?? 0 }

        let taps = Scratch<Int>(count: t)
        defer { taps.deallocate() }
        var k = 0
        for a in 0..<s.kernel[0] { for b in 0..<s.kernel[1] { for c in 0..<s.kernel[2] {
            taps.p[k] = padded.offset(a, b, c); k += 1
        } } }

        for n in 0..<s.batch {
            let xp = padded.fill(from: x + n * s.inChannels * s.inputVoxels, parallel: parallel)
            let plan = GatherPlan(
                x: xp, xChannelStride: padded.channelStride, reduceChannels: s.inChannels,
                taps: UnsafePointer(taps.p), tapCount: t, w: UnsafePointer(wp.p), vw: vw, outChannels: s.outChannels,
                bias: UnsafePointer(bp.p),
                grid: (out[0], out[1], out[2]),
                xStep: (s.stride[0] * padded.planeStride, s.stride[1] * padded.rowStride, s.stride[2]), xBase: 0,
                y: y + n * s.outChannels * s.outputVoxels, yChannelStride: s.outputVoxels,
                yStep: (out[1] * out[2], out[2], 1), yBase: 0)
            runGather(plan, parallel: parallel)
        }
    }

    /// dx = d(loss)/dx given dy = d(loss)/dy. `gradInput` [N, Ci, D, H, W] is overwritten.
    public static func inputGradient(
        _ s: Conv3DShape, gradOutput dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        gradInput dx: UnsafeMutablePointer<Float>, parallel: ParallelFor
    ) {
        let out = s.output
        let t = s.taps
        // Per axis and residue class c (voxels i = s*m + c), the taps k with (c + p - k) divisible by s,
        // each reading dy at o = m + delta, delta = (c + p - k) / s.
        struct AxisClass { var count: Int; var taps: [(k: Int, delta: Int)] }
        var classes: [[AxisClass]] = []
        var lo = [0, 0, 0], hi = [0, 0, 0]
        for a in 0..<3 {
            var list: [AxisClass] = []
            for c in 0..<s.stride[a] {
                let count = c < s.input[a] ? (s.input[a] - c + s.stride[a] - 1) / s.stride[a] : 0
                var taps: [(Int, Int)] = []
                for k in 0..<s.kernel[a] {
                    let num = c + s.padding[a] - k
                    if floorMod(num, s.stride[a]) == 0 {
                        let delta = floorDiv(num, s.stride[a])
                        taps.append((k, delta))
                        if count > 0 {
                            lo[a] = max(lo[a], -delta)
                            hi[a] = max(hi[a], count - 1 + delta - (out[a] - 1))
                        }
                    }
                }
                list.append(AxisClass(count: count, taps: taps))
            }
            classes.append(list)
        }
        let ci = s.inChannels, co = s.outChannels
        let vw = groupWidth(ci)
        let groups = (ci + vw - 1) / vw
        let padded = PaddedVolume(channels: co, size: out, low: lo, high: hi)
        defer { padded.deallocate() }
        let zeroBias = Scratch<Float>(count: groups * vw)
        defer { zeroBias.deallocate() }
        let wp = Scratch<Float>(count: groups * co * t * vw)
        defer { wp.deallocate() }
        let tapOffsets = Scratch<Int>(count: t), classTaps = Scratch<Int>(count: t)
        defer { tapOffsets.deallocate(); classTaps.deallocate() }
        let inPlane = s.input[1] * s.input[2], inRow = s.input[2]
        var someClassHasNoTaps = false
        for cd in 0..<s.stride[0] { for ch in 0..<s.stride[1] { for cw in 0..<s.stride[2] {
            if classes[0][cd].taps.isEmpty || classes[1][ch].taps.isEmpty || classes[2][cw].taps.isEmpty { someClassHasNoTaps = true }
        } } }

        for n in 0..<s.batch {
            let dyp = padded.fill(from: dy + n * co * s.outputVoxels, parallel: parallel)
            let dxn = dx + n * ci * s.inputVoxels
            if someClassHasNoTaps {
                // e.g. a 1x1x1 kernel with stride 2: voxels no tap reaches get zero gradient.
                let total = ci * s.inputVoxels, chunks = max(1, min(64, total >> 16))
                parallel(chunks) { c in
                    let a = total * c / chunks, b = total * (c + 1) / chunks
                    (dxn + a).update(repeating: 0, count: b - a)
                }
            }
            for cd in 0..<s.stride[0] { for ch in 0..<s.stride[1] { for cw in 0..<s.stride[2] {
                let (ad, ah, aw) = (classes[0][cd], classes[1][ch], classes[2][cw])
                if ad.count == 0 || ah.count == 0 || aw.count == 0 { continue }
                let yBase = cd * inPlane + ch * inRow + cw
                let yStep = (s.stride[0] * inPlane, s.stride[1] * inRow, s.stride[2])
                let tc = ad.taps.count * ah.taps.count * aw.taps.count
                if tc == 0 { continue }   // zeroed above
                // Weights packed [g over ci][co][class tap][lane] (lanes past Ci stay zero from init),
                // reading each (co, ci) kernel contiguously.
                var j = 0
                for (kd, dd) in ad.taps { for (kh, dh) in ah.taps { for (kw, dw) in aw.taps {
                    tapOffsets.p[j] = padded.offset(dd + lo[0], dh + lo[1], dw + lo[2])
                    classTaps.p[j] = (kd * s.kernel[1] + kh) * s.kernel[2] + kw
                    j += 1
                } } }
                parallel(co) { o in
                    for c in 0..<ci {
                        let g = c / vw, lane = c % vw
                        let src = weight + (o * ci + c) * t
                        let dst = wp.p + (g * co + o) * tc * vw + lane
                        for jj in 0..<tc { dst[jj * vw] = src[classTaps.p[jj]] }
                    }
                }
                let plan = GatherPlan(
                    x: dyp, xChannelStride: padded.channelStride, reduceChannels: co,
                    taps: UnsafePointer(tapOffsets.p), tapCount: tc, w: UnsafePointer(wp.p), vw: vw, outChannels: ci,
                    bias: UnsafePointer(zeroBias.p),
                    grid: (ad.count, ah.count, aw.count),
                    xStep: (padded.planeStride, padded.rowStride, 1), xBase: 0,
                    y: dxn, yChannelStride: s.inputVoxels, yStep: yStep, yBase: yBase)
                runGather(plan, parallel: parallel)
            } } }
        }
    }

    /// dw = d(loss)/dw and db = d(loss)/db, summed over the batch. `gradWeight` [Co, Ci, kd, kh, kw] and
    /// `gradBias` [Co] are overwritten.
    public static func weightGradient(
        _ s: Conv3DShape, x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>,
        gradWeight dw: UnsafeMutablePointer<Float>, gradBias db: UnsafeMutablePointer<Float>?, parallel: ParallelFor
    ) {
        let out = s.output
        let t = s.taps
        let ci = s.inChannels, co = s.outChannels
        let lo = s.padding
        let hi = highPadding(s)
        let vw = groupWidth(co)
        let padded = PaddedVolume(channels: ci, size: s.input, low: lo, high: hi, borrowIfUnpadded: !(vw == 8 && s.stride[2] == 1))
        defer { padded.deallocate() }
        let groups = (co + vw - 1) / vw
        let q = ci * t
        let acc = Scratch<Float>(count: groups * q * vw)   // [g][ci * t + k][lane], zeroed
        defer { acc.deallocate() }
        let qOffsets = Scratch<Int>(count: q)
        defer { qOffsets.deallocate() }
        var k = 0
        for a in 0..<s.kernel[0] { for b in 0..<s.kernel[1] { for c in 0..<s.kernel[2] {
            let off = padded.offset(a, b, c)
            for i in 0..<ci { qOffsets.p[i * t + k] = i * padded.channelStride + off }
            k += 1
        } } }

        for n in 0..<s.batch {
            let xp = padded.fill(from: x + n * ci * s.inputVoxels, parallel: parallel)
            let plan = WeightGradientPlan(
                x: xp, qOffsets: UnsafePointer(qOffsets.p), q: q,
                dy: dy + n * co * s.outputVoxels, dyChannelStride: s.outputVoxels, outChannels: co, vw: vw,
                grid: (out[0], out[1], out[2]),
                xStep: (s.stride[0] * padded.planeStride, s.stride[1] * padded.rowStride, s.stride[2]),
                acc: acc.p)
            runWeightGradient(plan, parallel: parallel)
        }
        parallel(co) { o in
            let g = o / vw, lane = o % vw
            let src = acc.p + g * q * vw + lane
            for j in 0..<q { dw[o * q + j] = src[j * vw] }
        }
        if let db {
            let nv = s.outputVoxels
            parallel(co) { o in
                var sum: Double = 0
                for n in 0..<s.batch {
                    let p = dy + (n * co + o) * nv
                    var part = SIMD8<Float>()
                    var i = 0
                    while i + 8 <= nv { part += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self); i += 8 }
                    var tail: Float = 0
                    while i < nv { tail += p[i]; i += 1 }
                    sum += Double(part.sum() + tail)
                }
                db[o] = Float(sum)
            }
        }
    }

    /// 16 output channels per register group, or 8 when the pass has at most 8 (first layers of the
    /// small net, Ci = 1 input gradients): half-empty 16-wide groups would waste half the FMAs.
    static func groupWidth(_ channels: Int) -> Int { channels <= 8 ? 8 : 16 }
}

/// The zero halo past the end that the last output voxel's window reaches.
func highPadding(_ s: Conv3DShape) -> [Int] {
    let out = s.output
    var hi = [0, 0, 0]
    for a in 0..<3 {
        let reach: Int = (out[a] - 1) * s.stride[a] + s.kernel[a] - s.padding[a]
        hi[a] = max(0, reach - s.input[a])
    }
    return hi
}

@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
@inline(__always) func floorMod(_ a: Int, _ b: Int) -> Int { a - floorDiv(a, b) * b }

/// A 64-byte aligned, zeroed buffer owned by one pass.
struct Scratch<T> {
    let p: UnsafeMutablePointer<T>
    init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1) * MemoryLayout<T>.stride)
        p = raw.bindMemory(to: T.self, capacity: max(count, 1))
    }
    func deallocate() { UnsafeMutableRawPointer(p).deallocate() }
}

/// A [C, D + lo + hi, H + lo + hi, W + lo + hi] copy of a volume with a zero halo. Slack past the end
/// lets micro-kernels read a few floats beyond the last voxel harmlessly. The memory comes from
/// `ScratchPool`, so a training loop does not page-fault a fresh buffer for every layer; `fill` writes
/// every element (halo zeros and interior), so reused memory needs no clearing.
struct PaddedVolume {
    let channels: Int
    let size: [Int]
    let low: [Int]
    let dims: [Int]
    let rowStride: Int, planeStride: Int, channelStride: Int
    /// nil when the volume needs no halo and the caller's kernels read only real voxels: `fill` then
    /// hands back the source itself (1x1x1 convolutions with stride 2 skip a copy of their input).
    let p: UnsafeMutablePointer<Float>?
    let capacity: Int
    static let slack = 64

    init(channels: Int, size: [Int], low: [Int], high: [Int], borrowIfUnpadded: Bool = false) {
        self.channels = channels; self.size = size; self.low = low
        dims = (0..<3).map { size[$0] + low[$0] + high[$0] }
        rowStride = dims[2]
        planeStride = dims[1] * dims[2]
        channelStride = dims[0] * planeStride
        if borrowIfUnpadded && dims == size {
            (p, capacity) = (nil, 0)
        } else {
            let (q, c) = ScratchPool.shared.take(channels * channelStride + Self.slack)
            (q + channels * channelStride).initialize(repeating: 0, count: Self.slack)
            (p, capacity) = (q, c)
        }
    }

    @inline(__always) func offset(_ d: Int, _ h: Int, _ w: Int) -> Int { d * planeStride + h * rowStride + w }

    /// Writes a [C, D, H, W] volume into the interior and zeros into the halo; returns the volume to read.
    func fill(from src: UnsafePointer<Float>, parallel: ParallelFor) -> UnsafePointer<Float> {
        guard let p else { return src }
        let (d, h, w) = (size[0], size[1], size[2])
        let me = self
        let (lw, hw) = (low[2], dims[2] - low[2] - w)
        parallel(channels * dims[0]) { item in
            let c = item / me.dims[0], pz = item % me.dims[0]
            let plane = p + c * me.channelStride + pz * me.planeStride
            let z = pz - me.low[0]
            if z < 0 || z >= d { plane.update(repeating: 0, count: me.planeStride); return }
            let s = src + (c * d + z) * h * w
            for py in 0..<me.dims[1] {
                let row = plane + py * me.rowStride
                let y = py - me.low[1]
                if y < 0 || y >= h { row.update(repeating: 0, count: me.rowStride); continue }
                if lw > 0 { row.update(repeating: 0, count: lw) }
                (row + lw).update(from: s + y * w, count: w)
                if hw > 0 { (row + lw + w).update(repeating: 0, count: hw) }
            }
        }
        return UnsafePointer(p)
    }

    func deallocate() { if let p { ScratchPool.shared.give(p, capacity: capacity) } }
}

/// Keeps the last released scratch buffer for the next pass (the largest padded volume of a network,
/// e.g. 241 MB at SALT's default level 0, stays allocated for the life of the process).
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()
    private var lock = pthread_mutex_t()
    private var cached: (UnsafeMutablePointer<Float>, Int)?

    init() { pthread_mutex_init(&lock, nil) }

    /// A buffer of at least `count` floats (uninitialised contents) and its capacity.
    func take(_ count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        pthread_mutex_lock(&lock)
        let c = cached
        if let c, c.1 >= count { cached = nil }
        pthread_mutex_unlock(&lock)
        if let c, c.1 >= count { return c }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        return (raw.bindMemory(to: Float.self, capacity: max(count, 1)), max(count, 1))
    }

    func give(_ p: UnsafeMutablePointer<Float>, capacity: Int) {
        pthread_mutex_lock(&lock)
        var free: UnsafeMutablePointer<Float>? = p
        if cached == nil || cached!.1 < capacity {
            free = cached?.0
            cached = (p, capacity)
        }
        pthread_mutex_unlock(&lock)
        free.map { UnsafeMutableRawPointer($0).deallocate() }
    }
}
