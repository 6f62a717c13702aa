// `salt bench conv`: every convolution layer of a DynUNet (the small net: filters 8..128, patch 64^3,
// strides [1,2,2,2,2], kernels 3^3; or SALT's default: filters 32..320, patch 192x192x48), forward and
// backward, timed for the direct SIMD kernels (FastKernels, AVX2+FMA) and for the vol2col + sgemm path in
// the same process. Prints ms and GFLOP/s per layer and totals (medians over interleaved rounds).
import Foundation
import Tensor

extension BenchCommand {
    static var convSuite: BenchSuite {
        BenchSuite(name: "conv", summary: "3D convolution layers of a DynUNet: direct SIMD kernels vs vol2col+sgemm") { args in
            let config = try args.option("--config") ?? "small"
            let rounds = try args.int("--rounds", default: 5)
            let skipBaseline = args.flag("--no-baseline")
            let skipBackward = args.flag("--no-backward")
            let only = try args.option("--layers")
            let weightOnly = args.flag("--weight-gradient-only")
            try args.finish()
            guard let plan = ConvBench.layers(config) else {
                throw UsageError("salt bench conv: --config is 'small' or 'default', got '\(config)'")
            }
            var layers = plan.layers
            if let only {
                let names = Set(only.split(separator: ",").map(String.init))
                layers = layers.filter { names.contains($0.name) }
                if layers.isEmpty { throw UsageError("salt bench conv: --layers \(only) names no layer of the \(config) net") }
            }
            if weightOnly { for i in layers.indices { layers[i].needInputGradient = false } }
            ConvBench.run(layers, transposedMACs: plan.transposedMACs, config: config, rounds: max(1, rounds), baseline: !skipBaseline, backward: !skipBackward)
        }
    }
}

enum ConvBench {
    struct Layer {
        var name: String
        var ci: Int, co: Int
        var size: [Int]
        var kernel: [Int]
        var stride: [Int]
        /// The first layer's input needs no gradient.
        var needInputGradient: Bool
        var output: [Int] { (0..<3).map { (size[$0] + 2 * (kernel[$0] / 2) - kernel[$0]) / stride[$0] + 1 } }
        var macs: Int { output.reduce(1, *) * ci * co * kernel.reduce(1, *) }
    }

    /// The convolution layers of MONAI's DynUNet (res_block=True) for a plan; the transposed convolutions
    /// (kernel = stride, one GEMM each) are counted in the MAC total only.
    static func layers(_ config: String) -> (layers: [Layer], transposedMACs: Int)? {
        let filters: [Int], patch: [Int], strides: [[Int]]
        switch config {
        case "small":
            filters = [8, 16, 32, 64, 128]; patch = [64, 64, 64]
            strides = [[1, 1, 1]] + Array(repeating: [2, 2, 2], count: 4)
        case "default":
            filters = [32, 64, 128, 256, 320, 320]; patch = [192, 192, 48]
            strides = [[1, 1, 1]] + Array(repeating: [2, 2, 2], count: 3) + Array(repeating: [2, 2, 1], count: 2)
        default:
            return nil
        }
        let k = [3, 3, 3], one = [1, 1, 1]
        var sizes = [patch]
        for s in strides.dropFirst() { sizes.append((0..<3).map { sizes.last![$0] / s[$0] }) }
        var out: [Layer] = []
        // Input block and the strided encoder blocks: conv1 (strided), conv2, 1x1 residual (channels change).
        var cin = 1
        for (i, f) in filters.enumerated() {
            let inSize = i == 0 ? patch : sizes[i - 1]
            let level = i == 0 ? "in" : "down\(i)"
            out.append(Layer(name: "\(level).conv1", ci: cin, co: f, size: inSize, kernel: k, stride: strides[i], needInputGradient: i > 0))
            out.append(Layer(name: "\(level).conv2", ci: f, co: f, size: sizes[i], kernel: k, stride: one, needInputGradient: true))
            out.append(Layer(name: "\(level).res", ci: cin, co: f, size: inSize, kernel: one, stride: strides[i], needInputGradient: i > 0))
            cin = f
        }
        // Decoder: after the transposed convolution (f_{i+1} -> f_i, kernel = stride), concat with the
        // skip (2f channels) -> f.
        var transposedMACs = 0
        for i in stride(from: filters.count - 2, through: 0, by: -1) {
            let f = filters[i]
            transposedMACs += sizes[i].reduce(1, *) * filters[i + 1] * f
            out.append(Layer(name: "up\(i).conv1", ci: 2 * f, co: f, size: sizes[i], kernel: k, stride: one, needInputGradient: true))
            out.append(Layer(name: "up\(i).conv2", ci: f, co: f, size: sizes[i], kernel: k, stride: one, needInputGradient: true))
            out.append(Layer(name: "up\(i).res", ci: 2 * f, co: f, size: sizes[i], kernel: one, stride: one, needInputGradient: true))
        }
        out.append(Layer(name: "out", ci: filters[0], co: 10, size: patch, kernel: one, stride: one, needInputGradient: true))
        return (out, transposedMACs)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// CPU seconds this process has used (all threads): on a shared machine, work per CPU second shows
    /// a kernel's speed even when other processes take turns on the cores.
    static func cpuTime() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }

    static func run(_ layers: [Layer], transposedMACs tMACs: Int, config: String, rounds: Int, baseline: Bool, backward: Bool) {
        let fastAvailable = Conv3D.fastKernelsEnabled
        let totalMACs = layers.reduce(0) { $0 + $1.macs }
        print("salt bench conv --config \(config): \(layers.count) convolution layers, \(totalMACs) MAC (+ \(tMACs) in transposed convs = \(totalMACs + tMACs))")
        print("threads \(Parallel.threads), OpenBLAS core \(BLAS.coreName) x \(BLAS.threads) threads, OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"), direct kernels \(fastAvailable ? "AVX2+FMA" : "unavailable on this CPU")")
        print("rounds \(rounds) (interleaved; medians), load average at start \(loadAverage())")
        var rng = SeededRandom(seed: 42)
        struct Sample { var fwd: [Double] = [], bwd: [Double] = [], fwdBase: [Double] = [], bwdBase: [Double] = [], fwdCPU: [Double] = [], bwdCPU: [Double] = [] }
        var samples = [Sample](repeating: Sample(), count: layers.count)
        // Inputs built once per layer (random, fixed seed) and reused every round.
        let data: [(x: Tensor, w: Tensor, b: Tensor, gy: Tensor)] = layers.map { l in
            let x = Tensor(shape: [1, l.ci] + l.size), w = Tensor(shape: [l.co, l.ci] + l.kernel)
            for i in 0..<x.count { x.storage[i] = Float.random(in: -1...1, using: &rng) }
            let scale = 1 / Float(l.ci * l.kernel.reduce(1, *)).squareRoot()
            for i in 0..<w.count { w.storage[i] = Float.random(in: -scale...scale, using: &rng) }
            let gy = Tensor(shape: [1, l.co] + l.output)
            for i in 0..<gy.count { gy.storage[i] = Float.random(in: -1...1, using: &rng) }
            return (x, w, Tensor(shape: [l.co], repeating: 0.1), gy)
        }
        var worstDifference = 0.0
        for round in 0..<rounds {
            for (i, l) in layers.enumerated() {
                let d = data[i]
                let pad = l.kernel.map { $0 / 2 }
                var variants: [Bool] = []
                if fastAvailable { variants.append(true) }
                if baseline || !fastAvailable { variants.append(false) }
                if round % 2 == 1 { variants.reverse() }
                var outputs: [Bool: Tensor] = [:]
                for fast in variants {
                    Conv3D.fastKernelsEnabled = fast
                    var c0 = cpuTime()
                    var t0 = now()
                    // The direct variant calls the SIMD kernels themselves: `forward` would send the shapes
                    // where vol2col + sgemm wins (Conv3D.gemmIsFaster) to sgemm in both variants.
                    let y = fast ? Conv3D.fastForward(d.x, weight: d.w, bias: d.b, stride: l.stride, padding: pad)
                                 : Conv3D.forward(d.x, weight: d.w, bias: d.b, stride: l.stride, padding: pad)
                    let tf = now() - t0
                    let cf = cpuTime() - c0
                    outputs[fast] = y
                    var tb = Double.nan, cb = Double.nan
                    if backward {
                        c0 = cpuTime()
                        t0 = now()
                        if fast {
                            _ = Conv3D.fastBackward(d.x, weight: d.w, gradOutput: d.gy, stride: l.stride, padding: pad,
                                                    needInputGradient: l.needInputGradient)
                        } else {
                            _ = Conv3D.backward(d.x, weight: d.w, gradOutput: d.gy, stride: l.stride, padding: pad,
                                                needInputGradient: l.needInputGradient)
                        }
                        tb = now() - t0
                        cb = cpuTime() - c0
                    }
                    if fast { samples[i].fwd.append(tf); samples[i].bwd.append(tb); samples[i].fwdCPU.append(cf); samples[i].bwdCPU.append(cb) } else { samples[i].fwdBase.append(tf); samples[i].bwdBase.append(tb) }
                }
                if round == 0, let a = outputs[true], let b = outputs[false] {
                    var scale: Float = 0, diff: Float = 0
                    for j in 0..<a.count { scale = max(scale, abs(b.storage[j])); diff = max(diff, abs(a.storage[j] - b.storage[j])) }
                    worstDifference = max(worstDifference, Double(diff / max(scale, 1e-30)))
                }
            }
        }
        Conv3D.fastKernelsEnabled = fastAvailable

        func gf(_ macs: Int, _ seconds: Double) -> String { String(format: "%6.1f", Double(2 * macs) / seconds / 1e9) }
        func ms(_ s: Double) -> String { String(format: "%8.2f", s * 1e3) }
        print("")
        print("Columns: direct forward (fwd), vol2col+sgemm forward (v2c), the same for backward; GF/cpu = direct")
        print("kernel GFLOP per CPU-second of this process (per-core speed, insensitive to other processes' load).")
        print("layer         ci->co   input        k s   GFLOP | fwd ms  GFLOP/s GF/cpu | v2c ms  GFLOP/s | bwd ms  GFLOP/s GF/cpu | v2c ms  GFLOP/s")
        var tot = (f: 0.0, fb: 0.0, b: 0.0, bb: 0.0, bwdMACs: 0, fc: 0.0, bc: 0.0)
        for (i, l) in layers.enumerated() {
            let s = samples[i]
            let bm = l.macs * (l.needInputGradient ? 2 : 1)
            let (f, fb, b, bb) = (median(s.fwd), median(s.fwdBase), median(s.bwd), median(s.bwdBase))
            let (fc, bc) = (median(s.fwdCPU), median(s.bwdCPU))
            tot.f += f.isNaN ? 0 : f; tot.fb += fb.isNaN ? 0 : fb; tot.b += b.isNaN ? 0 : b; tot.bb += bb.isNaN ? 0 : bb
            tot.bwdMACs += bm
            tot.fc += fc.isNaN ? 0 : fc; tot.bc += bc.isNaN ? 0 : bc
            let shape = "\(l.ci)->\(l.co)".padding(toLength: 8, withPad: " ", startingAt: 0)
            let size = l.size.map(String.init).joined(separator: "x").padding(toLength: 12, withPad: " ", startingAt: 0)
            print("\(l.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(shape) \(size) \(l.kernel[0]) \(l.stride[0]) \(String(format: "%7.3f", Double(2 * l.macs) / 1e9)) |"
                  + "\(ms(f)) \(gf(l.macs, f)) \(gf(l.macs, fc)) |\(ms(fb)) \(gf(l.macs, fb)) |\(ms(b)) \(gf(bm, b)) \(gf(bm, bc)) |\(ms(bb)) \(gf(bm, bb))")
        }
        let macs = layers.reduce(0) { $0 + $1.macs }
        print(String(format: "total forward:  direct %.1f ms (%.1f GFLOP/s, %.1f per CPU-s)   vol2col+sgemm %.1f ms (%.1f GFLOP/s)",
                     tot.f * 1e3, Double(2 * macs) / tot.f / 1e9, Double(2 * macs) / tot.fc / 1e9, tot.fb * 1e3, Double(2 * macs) / tot.fb / 1e9))
        if backward {
            print(String(format: "total backward: direct %.1f ms (%.1f GFLOP/s, %.1f per CPU-s)   vol2col+sgemm %.1f ms (%.1f GFLOP/s)",
                         tot.b * 1e3, Double(2 * tot.bwdMACs) / tot.b / 1e9, Double(2 * tot.bwdMACs) / tot.bc / 1e9, tot.bb * 1e3, Double(2 * tot.bwdMACs) / tot.bb / 1e9))
        }
        if fastAvailable && baseline { print(String(format: "largest forward difference direct vs vol2col (scaled by max |y|): %.2e", worstDifference)) }
        print("load average at end \(loadAverage()) (the machine is shared: compare medians from one run only)")
    }
}
