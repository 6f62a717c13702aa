// `salt bench network`: seconds per DynUNet training step and per patch forward, achieved convolution
// GFLOP/s beside OpenBLAS sgemm GFLOP/s measured in the same process, and peak memory (VmHWM).
// The training step is forward + backward of sum(output) (the tree-softmax loss lives in Labels) +
// AdamW step; the peer figures (PyTorch 2.13 + MONAI, ../shared/bench/peer/RESULTS.md) include the loss.
import Dispatch
import Foundation
import Network
import Tensor

extension BenchCommand {
    static var networkSuite: BenchSuite {
        BenchSuite(name: "network", summary: "DynUNet train step / forward / GFLOP/s / peak memory (--config small|default, --repeats N, --profile)") { args in
            let config = try args.option("--config") ?? "small"
            let repeats = try args.int("--repeats", default: config == "small" ? 5 : 1)
            let profile = args.flag("--profile")
            try args.finish()
            try NetworkBenchmark.run(config: config, repeats: repeats, profile: profile)
        }
    }
}

enum NetworkBenchmark {
    struct Preset { var patch: [Int]; var filters: [Int]; var classes: Int; var peerTrain: Double; var peerForward: Double; var peerRSS: String }

    static func preset(_ name: String) throws -> Preset {
        switch name {
        case "small": return Preset(patch: [64, 64, 64], filters: [8, 16, 32, 64, 128], classes: 10, peerTrain: 0.49, peerForward: 0.15, peerRSS: "876 MB")
        case "default": return Preset(patch: [192, 192, 48], filters: DynUNetConfiguration.defaultFilters(levels: 6), classes: 10,
                                      peerTrain: 14.6, peerForward: 4.5, peerRSS: "5.3 GB")
        default: throw UsageError("salt bench network: --config must be small or default, not '\(name)'")
        }
    }

    static func seconds(_ body: () -> Void) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// CPU seconds of the whole process (all threads): on a machine shared with other work this stays
    /// near what an idle machine would take (times the cores used) while wall time stretches.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// The share of the machine other processes used recently (1-minute load average minus ours, per core).
    static func loadNote() -> String {
        guard let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8), let l = Double(s.split(separator: " ")[0]) else { return "" }
        return String(format: "load average %.1f on %d cores%@", l, ProcessInfo.processInfo.activeProcessorCount,
                      l > Double(ProcessInfo.processInfo.activeProcessorCount) + 0.5 ? " (machine busy: wall times are inflated; see CPU seconds)" : "")
    }

    static func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

    /// VmHWM of this process in MB (peak resident set).
    static func peakRSSMB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return -1 }
        return kb / 1024
    }

    /// sgemm GFLOP/s at n x n x n (median of 3 after a warm-up).
    static func sgemmGFLOPs(n: Int) -> Double {
        var rng = SeededRandom(seed: 1)
        let a = rng.normalTensor([n, n]), b = rng.normalTensor([n, n]), c = Tensor(shape: [n, n])
        let run = { BLAS.sgemm(.none, .none, m: n, n: n, k: n, a: a.storage, lda: n, b: b.storage, ldb: n, c: c.storage, ldc: n) }
        run()
        let t = median((0..<3).map { _ in seconds(run) })
        return 2 * Double(n * n * n) / t / 1e9
    }

    static func run(config name: String, repeats: Int, profile: Bool) throws {
        let p = try preset(name)
        let env = ProcessInfo.processInfo.environment
        print("salt bench network --config \(name): patch \(p.patch), filters \(p.filters), \(p.classes) classes, batch 1, spacing 1.5 iso")
        print("threads: Parallel \(Parallel.threads), OpenBLAS \(BLAS.threads) (\(BLAS.coreName)); OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "unset") OPENBLAS_L2_SIZE=\(env["OPENBLAS_L2_SIZE"] ?? "unset")")
        let gemm = sgemmGFLOPs(n: 2048)
        print(String(format: "sgemm n=2048: %.1f GFLOP/s", gemm))

        let config = try DynUNetConfiguration(patch: p.patch, spacing: [1.5, 1.5, 1.5], outChannels: p.classes, filters: p.filters)
        print("plan: strides \(config.strides), kernels \(config.kernels)")
        let net = DynUNet(config, seed: 0)
        var rng = SeededRandom(seed: 2)
        let x = rng.normalTensor([1, 1] + p.patch)
        let macs = net.forwardMACs(spatial: p.patch)
        // Backward = input and weight gradients, each about a forward; the first conv needs no input gradient.
        let firstLayer = Double(p.patch.reduce(1, *)) * Double(p.filters[0]) * (Double(config.kernels[0].reduce(1, *)) + 1)
        let trainFLOP = 2 * (3 * macs - firstLayer)
        print(String(format: "analytic conv work: %.3f G MAC per forward, %.2f GFLOP per train step", macs / 1e9, trainFLOP / 1e9))

        print(loadNote())
        var forwardTimes: [Double] = [], forwardCPU: [Double] = []
        for i in 0...repeats {
            let c0 = processCPUSeconds()
            let t = seconds { _ = net.forward(x) }
            if i > 0 || repeats == 1 { forwardCPU.append(processCPUSeconds() - c0) }
            if i > 0 || repeats == 1 { forwardTimes.append(t) }   // the first run warms up (page faults, threads)
            if repeats == 1 && i == 0 { break }
        }
        let fwd = median(forwardTimes)
        print(String(format: "forward, one patch: %.3f s (%.1f GFLOP/s conv, %.0f%% of sgemm)   peer %.2f s -> %.2fx",
                     fwd, 2 * macs / fwd / 1e9, 100 * 2 * macs / fwd / 1e9 / gemm, p.peerForward, fwd / p.peerForward))

        let adam = AdamW(learningRate: 1e-3)
        let ones = Tensor(shape: [1, p.classes] + p.patch, repeating: 1)
        var trainTimes: [Double] = [], trainCPU: [Double] = []
        for i in 0...repeats {
            let c0 = processCPUSeconds()
            let t = seconds {
                let y = net.forward(x, training: true)
                _ = y
                net.backward(ones)
                adam.step(net.parameters)
                net.zeroGradients()
            }
            if i > 0 || repeats == 1 { trainTimes.append(t); trainCPU.append(processCPUSeconds() - c0) }
            if repeats == 1 && i == 0 { break }
        }
        let train = median(trainTimes)
        print(String(format: "train step (forward + backward of sum(output) + AdamW): %.3f s (%.1f GFLOP/s conv)   peer %.2f s -> %.2fx",
                     train, trainFLOP / train / 1e9, p.peerTrain, train / p.peerTrain))
        print(String(format: "CPU seconds (all threads): forward %.3f, train step %.3f", median(forwardCPU), median(trainCPU)))
        print(String(format: "peak RSS (VmHWM): %.0f MB   peer %@", peakRSSMB(), p.peerRSS))
        print(loadNote())
        print("samples: forward \(forwardTimes.map { String(format: "%.3f", $0) }), train \(trainTimes.map { String(format: "%.3f", $0) })")
        if profile {
            // One more training step, timed layer by layer (after the timed runs, so it cannot skew them).
            LayerProfile.reset()
            LayerProfile.enabled = true
            let t = seconds {
                _ = net.forward(x, training: true)
                net.backward(ones)
                LayerProfile.measure("AdamW step") { adam.step(net.parameters) }
                net.zeroGradients()
            }
            LayerProfile.enabled = false
            printProfile(total: t)
        }
    }

    /// The profiled step by layer pass, largest first, then by kind.
    static func printProfile(total: Double) {
        let entries = LayerProfile.entries
        print(String(format: "profile of one train step (%.3f s wall; the rest is the output gradient, the loss-free backward glue):", total))
        for e in entries.prefix(25) {
            print(String(format: "  %7.3f s %5.1f%%  %3dx  %@", e.seconds, 100 * e.seconds / total, e.calls, e.key))
        }
        var kinds: [String: Double] = [:]
        for e in entries {
            let kind = ["conv fwd", "conv bwd", "transposed conv", "instance norm", "concatenate", "split", "residual", "AdamW"]
                .first { e.key.hasPrefix($0) } ?? e.key
            kinds[kind, default: 0] += e.seconds
        }
        let accounted = kinds.values.reduce(0, +)
        print("  by kind: " + kinds.sorted { $0.value > $1.value }.map { String(format: "%@ %.0f%%", $0.key, 100 * $0.value / total) }.joined(separator: ", ")
              + String(format: ", other %.0f%%", 100 * (total - accounted) / total))
    }
}
