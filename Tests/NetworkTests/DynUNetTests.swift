import Foundation
import Network
import SafeTensors
import Tensor
import Testing
import TestSupport

@Suite struct PlanTests {
    @Test func goldenFixturePlan() throws {
        let meta = try Shared.goldenJSON("dynunet.json") as! [String: Any]
        let (k, s) = try DynUNetConfiguration.plan(patch: meta["patch"] as! [Int], spacing: meta["spacing"] as! [Double])
        #expect(k == meta["kernels"] as! [[Int]])
        #expect(s == meta["strides"] as! [[Int]])
    }

    @Test func saltDefaultAndSmall() throws {
        // SALT's roi 192x192x48 at 1.5 mm: the third axis stops halving at 6 voxels.
        let (k, s) = try DynUNetConfiguration.plan(patch: [192, 192, 48], spacing: [1.5, 1.5, 1.5])
        #expect(s == [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 1], [2, 2, 1]])
        #expect(k == Array(repeating: [3, 3, 3], count: 6))
        let c = try DynUNetConfiguration(patch: [192, 192, 48], spacing: [1.5, 1.5, 1.5], outChannels: 145)
        #expect(c.filters == [32, 64, 128, 256, 320, 320])
        let small = try DynUNetConfiguration(patch: [64, 64, 64], spacing: [1.5, 1.5, 1.5], outChannels: 10,
                                             filters: DynUNetConfiguration.widths(base: 8, levels: 5))
        #expect(small.filters == [8, 16, 32, 64, 128] && small.strides.count == 5)
    }

    @Test func anisotropicSpacingGivesInPlaneKernels() throws {
        // 5 mm slices vs 1.5 mm in plane: the thick axis keeps kernel 1 and stride 1 until the others catch up.
        let (k, s) = try DynUNetConfiguration.plan(patch: [128, 128, 32], spacing: [1.5, 1.5, 5.0])
        #expect(k[0] == [3, 3, 1] && s[1] == [2, 2, 1])
        #expect(s.count == k.count)
        #expect(throws: NetworkError.self) { try DynUNetConfiguration.plan(patch: [18, 64, 64], spacing: [1, 1, 1]) }
    }
}

@Suite struct DynUNetTests {
    static func tiny(heads: Int = 0) throws -> DynUNet {
        let c = try DynUNetConfiguration(inChannels: 1, outChannels: 3, kernels: [[3, 3, 3], [3, 3, 1], [3, 3, 3]],
                                         strides: [[1, 1, 1], [2, 2, 1], [2, 2, 2]], filters: [2, 3, 4], deepSupervisionHeads: heads)
        return DynUNet(c, seed: 5)
    }

    @Test func initialisationIsKaimingAndSeeded() throws {
        let c = try DynUNetConfiguration(patch: [32, 32, 32], spacing: [1, 1, 1], outChannels: 4, filters: [8, 16, 32, 64])
        let a = DynUNet(c, seed: 3), b = DynUNet(c, seed: 3), other = DynUNet(c, seed: 4)
        let w = a.parameter(named: "bottleneck.conv2.conv.weight")!.value
        #expect(w.array == b.parameter(named: "bottleneck.conv2.conv.weight")!.value.array)
        #expect(w.array != other.parameter(named: "bottleneck.conv2.conv.weight")!.value.array)
        // std = sqrt(2 / (1 + 0.01^2)) / sqrt(64 * 27) = 0.03403
        let values = w.array.map(Double.init), n = Double(values.count)
        let std = (values.map { $0 * $0 }.reduce(0, +) / n).squareRoot()
        #expect(abs(std - 0.034030) < 0.001)
        // Transposed conv: PyTorch's fan_in is weight.size(1) * kernel volume = 32 * 8.
        let t = a.parameter(named: "upsamples.0.transp_conv.conv.weight")!.value.array.map(Double.init)
        let tStd: Double = (t.map { $0 * $0 }.reduce(0, +) / Double(t.count)).squareRoot()
        #expect(abs(tStd - 0.088384) < 0.004)
        #expect(a.parameter(named: "input_block.norm1.weight")!.value.array.allSatisfy { $0 == 1 })
        #expect(a.parameter(named: "output_block.conv.conv.bias")!.value.array.allSatisfy { $0 == 0 })
    }

    /// Whole-network gradients against central differences (float32, eps 1e-2).
    @Test func backwardMatchesFiniteDifferences() throws {
        let net = try Self.tiny(heads: 1)
        var rng = SeededRandom(seed: 9)
        for p in net.parameters where p.name.contains("norm") { for i in 0..<p.value.count { p.value.storage[i] += Float(rng.normal() * 0.3) } }
        let x = rng.normalTensor([2, 1, 16, 16, 8])
        let outs = net.forwardAll(x, training: true)
        let g = rng.normalTensor(outs[0].shape), gh = rng.normalTensor(outs[1].shape)
        let gx = net.backward(g, headGradients: [gh], needInputGradient: true)!
        func loss() -> Double { let o = net.forwardAll(x); return o[0].dot(g) + o[1].dot(gh) }
        var worst = 0.0
        // input_block.conv3 is left out: its gradient is ~1e-6 of the others (see UnetResBlock), below
        // what float32 differences resolve; the golden test checks it against float64 PyTorch.
        for name in ["input_block.conv1.conv.weight", "downsamples.0.conv3.conv.weight", "downsamples.0.norm3.bias",
                     "bottleneck.conv2.conv.weight", "upsamples.0.transp_conv.conv.weight", "upsamples.1.conv_block.norm2.weight",
                     "output_block.conv.conv.bias", "deep_supervision_heads.0.conv.conv.weight"] {
            let p = net.parameter(named: name)!
            let d = finiteDifference(p.value, analytic: p.gradient!, probes: 12, eps: 2e-3, loss)
            print("\(name): finite-difference scaled difference \(d)")
            worst = max(worst, d)
        }
        let dx = finiteDifference(x, analytic: gx, probes: 16, loss)
        print("input: finite-difference scaled difference \(dx)")
        // Leaky-ReLU kinks and instance norm make the whole network's loss curved at this scale (the
        // error grows with eps: 5% at 2e-3, 20% at 4e-2 for the first conv); a wrong or missing term
        // (a skip, a residual, a head) gives errors of order 1. Exact agreement is the golden test's job.
        #expect(worst < 0.1)
        #expect(dx < 1e-2)
    }

    func finiteDifference(_ t: Tensor, analytic: Tensor, probes: Int, eps: Float = 5e-3, _ f: () -> Double) -> Double {
        var scale = 1e-9
        for i in 0..<analytic.count { scale = max(scale, Double(abs(analytic.storage[i]))) }
        var worst = 0.0, i = 0
        while i < t.count {
            let s = t.storage[i]
            t.storage[i] = s + eps; let a = f()
            t.storage[i] = s - eps; let b = f()
            t.storage[i] = s
            worst = max(worst, abs((a - b) / (2 * Double(eps)) - Double(analytic.storage[i])) / scale)
            i += max(1, t.count / probes)
        }
        return worst
    }

    @Test func headsAndNearestUpsampling() throws {
        let net = try Self.tiny(heads: 1)
        let x = KernelCheckNet.random([1, 1, 8, 8, 4], seed: 2)
        let outs = net.forwardAll(x)
        #expect(outs.count == 2 && outs[0].shape == [1, 3, 8, 8, 4] && outs[1].shape == [1, 3, 4, 4, 4])
        #expect(net.parameters.last!.name == "deep_supervision_heads.0.conv.conv.bias")
        let up = DynUNet.upsampleNearest(outs[1], to: [8, 8, 4])
        #expect(up.storage[(0 * 8 + 5) * 4 + 3] == outs[1].storage[(0 * 4 + 2) * 4 + 3])
        let g = KernelCheckNet.random(up.shape, seed: 3)
        let back = DynUNet.upsampleNearestBackward(g, to: outs[1].shape)
        let lhs: Double = back.dot(outs[1]), rhs: Double = g.dot(up)
        #expect(abs(lhs - rhs) < 1e-3 * abs(rhs) + 1e-4)
        // Inference and training forwards agree.
        #expect(net.forward(x, training: true).array == outs[0].array)
    }

    @Test func checkpointRoundTrip() throws {
        let net = try Self.tiny()
        let x = KernelCheckNet.random([1, 1, 8, 8, 4], seed: 4)
        let y = net.forward(x, training: true)
        net.backward(KernelCheckNet.random(y.shape, seed: 5))
        let adam = AdamW(learningRate: 1e-2)
        adam.step(net.parameters)
        let dir = try Shared.temporaryDirectory("salt-checkpoint")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint.save(net, optimizer: adam, to: dir.path)
        let (loaded, opt) = try Checkpoint.load(from: dir.path)
        #expect(loaded.configuration == net.configuration)
        #expect(loaded.forward(x).array == net.forward(x).array)
        let name = "bottleneck.conv1.conv.weight"
        #expect(opt!.state[name]!.step == 1)
        #expect(opt!.state[name]!.exponentialAverageSquared.array == adam.state[name]!.exponentialAverageSquared.array)
        #expect(opt!.learningRate == 1e-2)
        // The weights file holds exactly the PyTorch names, F32, 8-byte aligned header.
        let file = try SafeTensorsFile(contentsOf: dir.path + "/" + Checkpoint.modelFile)
        #expect(Set(file.names) == Set(net.parameters.map(\.name)))
        #expect(file[name]!.dtype == "F32")
        let raw = try Data(contentsOf: dir.appendingPathComponent(Checkpoint.modelFile))
        #expect(raw.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } % 8 == 0)
        // A mismatched network is refused with the tensor named.
        let other = DynUNet(try DynUNetConfiguration(inChannels: 1, outChannels: 3, kernels: [[3, 3, 3], [3, 3, 1], [3, 3, 3]],
                                                      strides: [[1, 1, 1], [2, 2, 1], [2, 2, 2]], filters: [2, 3, 5]))
        #expect(throws: NetworkError.self) { try Checkpoint.loadWeights(into: other, from: dir.path + "/" + Checkpoint.modelFile) }
    }
}

@Suite struct OptimizerTests {
    @Test func adamWTwoStepsByHand() {
        // One scalar, g = 0.5 then -0.25; lr 0.1, wd 0.1.
        let p = Parameter(name: "w", value: Tensor(shape: [1], values: [1]))
        let adam = AdamW(learningRate: 0.1, weightDecay: 0.1)
        var w = 1.0, m = 0.0, v = 0.0
        for (t, g) in [0.5, -0.25].enumerated() {
            p.setGradient(Tensor(shape: [1], values: [Float(g)]))
            adam.step([p])
            w *= 1 - 0.1 * 0.1
            m = 0.9 * m + 0.1 * g; v = 0.999 * v + 0.001 * g * g
            let bc1 = 1 - pow(0.9, Double(t + 1)), bc2 = 1 - pow(0.999, Double(t + 1))
            w -= 0.1 / bc1 * m / (v.squareRoot() / bc2.squareRoot() + 1e-8)
        }
        #expect(abs(Double(p.value.storage[0]) - w) < 1e-6)
        #expect(abs(w - 0.8545) < 1e-3)   // two steps of about lr each, plus decay
    }

    @Test func cosineAndClipping() {
        let s = CosineSchedule(initial: 1e-2, floor: 1e-4, totalSteps: 100)
        #expect(s.learningRate(atStep: 0) == 1e-2)
        #expect(abs(s.learningRate(atStep: 50) - (1e-4 + (1e-2 - 1e-4) / 2)) < 1e-12)
        let end: Double = s.learningRate(atStep: 100)
        #expect(abs(end - 1e-4) < 1e-15)
        #expect(s.learningRate(atStep: 500) == end)
        let a = Parameter(name: "a", value: Tensor(shape: [2])), b = Parameter(name: "b", value: Tensor(shape: [1]))
        a.setGradient(Tensor(shape: [2], values: [3, 0])); b.setGradient(Tensor(shape: [1], values: [4]))
        #expect(clipGradientNorm([a, b], maxNorm: 1) == 5)
        #expect(abs(a.gradient!.storage[0] - 0.6) < 1e-6 && abs(b.gradient!.storage[0] - 0.8) < 1e-6)
        #expect(abs(clipGradientNorm([a, b], maxNorm: 10) - 1) < 1e-5)
        #expect(abs(b.gradient!.storage[0] - 0.8) < 1e-6)
    }
}

enum KernelCheckNet {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor { var r = SeededRandom(seed: seed); return r.normalTensor(shape) }
}
