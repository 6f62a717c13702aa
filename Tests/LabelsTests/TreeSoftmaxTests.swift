// Tree softmax: golden values, fast kernel against the plain reference, finite differences.
import Foundation
import Testing
import Tensor
import TestSupport
@testable import Labels

func goldenTree() throws -> LabelTree {
    let golden = try Shared.goldenJSON("tree.json") as! [String: Any]
    return try LabelTree(paths: golden["labels"] as! [[String]])
}

func miniTree() throws -> LabelTree {
    let golden = try Shared.goldenJSON("mini_tree.json") as! [String: Any]
    return try LabelTree(paths: golden["labels"] as! [[String]])
}

/// Seeded values for tests (Tensor's one generator).
extension SeededRandom {
    /// Uniform in [-1, 1).
    mutating func signed() -> Double { Double(next() >> 11) / Double(1 << 53) * 2 - 1 }
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 3) -> Tensor {
    var rng = SeededRandom(seed: seed)
    let t = Tensor(shape: shape)
    for i in 0..<t.count { t[flat: i] = Float(rng.signed() * scale) }
    return t
}

func doubles(_ t: Tensor) -> [Double] { t.array.map(Double.init) }

@Suite struct TreeSoftmaxTests {
    @Test func matchesReferenceValues() throws {
        let tree = try goldenTree()
        let file = try Shared.goldenTensors("treesoftmax.safetensors")
        let shape = file["logits"]!.shape
        let logits = Tensor(shape: shape, values: file["logits"]!.floats)
        let probs = TreeSoftmax.forward(logits, tree: tree)
        let dp = maxScaledDifference(doubles(probs), file["probs"]!.values)
        let rp = maxRelativeDifference(doubles(probs), file["probs"]!.values, floor: 1e-6)
        print("treesoftmax forward: largest scaled difference \(dp), relative (floor 1e-6) \(rp)")
        #expect(dp < 1e-5)
        #expect(rp < 1e-4)
        let upstream = Tensor(shape: shape, values: file["upstream"]!.floats)
        // Backward from the golden probabilities and from ours.
        for (label, p) in [("golden probs", Tensor(shape: shape, values: file["probs"]!.floats)), ("our probs", probs)] {
            let grad = TreeSoftmax.backward(probabilities: p, gradOutput: upstream, tree: tree)
            let dg = maxScaledDifference(doubles(grad), file["grad_logits"]!.values)
            let rg = maxRelativeDifference(doubles(grad), file["grad_logits"]!.values, floor: 1e-4)
            print("treesoftmax backward (\(label)): largest scaled difference \(dg), relative (floor 1e-4) \(rg)")
            #expect(dg < 1e-4)
        }
    }

    @Test func fastAgreesWithReference() throws {
        let tree = try goldenTree()
        // 300 voxels per sample: two full blocks and a partial one.
        let shape = [2, tree.count, 3, 10, 10]
        let logits = randomTensor(shape, seed: 7, scale: 4)
        let q = TreeSoftmax.forward(logits, tree: tree)
        let ref = TreeSoftmax.referenceForward(doubles(logits), shape: shape, tree: tree)
        let d = maxScaledDifference(doubles(q), ref)
        print("treesoftmax fast vs reference forward: \(d)")
        #expect(d < 1e-6)
        // Every voxel's leaves sum to one; each parent equals the sum of its children.
        let s = 300
        for v in [0, 137, 299] {
            let leafSum = tree.leaves.reduce(0.0) { $0 + Double(q[flat: $1 * s + v]) }
            #expect(abs(leafSum - 1) < 1e-5)
            for grp in tree.groups where grp.parent >= 0 {
                let sum = grp.members.reduce(0.0) { $0 + Double(q[flat: $1 * s + v]) }
                #expect(abs(sum - Double(q[flat: grp.parent * s + v])) < 1e-5)
            }
        }
        let g = randomTensor(shape, seed: 8)
        let fast = TreeSoftmax.backward(probabilities: q, gradOutput: g, tree: tree)
        let small = [1, tree.count, 1, 1, 40]
        // The reference backward is O(C^2) per voxel: check the first 40 voxels of sample 0.
        func slice(_ t: Tensor) -> [Double] {
            var out: [Double] = []
            for c in 0..<tree.count { for v in 0..<40 { out.append(Double(t[flat: c * s + v])) } }
            return out
        }
        let refGrad = TreeSoftmax.referenceBackward(probabilities: slice(q), gradOutput: slice(g), shape: small, tree: tree)
        let dg = maxScaledDifference(slice(fast), refGrad)
        print("treesoftmax fast vs reference backward: \(dg)")
        #expect(dg < 1e-5)
    }

    @Test func handWorkedMiniExample() throws {
        // Tree: a, b{b1, b2}. Logits a=0, b=0, b1=log 3, b2=0 -> q = [1/2, 1/2, 3/8, 1/8].
        let tree = try LabelTree(paths: [["a"], ["b", "b1"], ["b", "b2"]])
        let x = Tensor(shape: [1, 4, 1], values: [0, 0, Float(Foundation.log(3.0)), 0])
        let q = TreeSoftmax.forward(x, tree: tree)
        for (got, want) in zip(q.array, [0.5, 0.5, 0.375, 0.125] as [Float]) { #expect(abs(got - want) < 1e-7) }
        // L = q_b1: dL/dx = q_b1 * ([is b] - s_b, over {a, b}) + q_b1 * ([is b1] - s_b1, over {b1, b2}).
        let g = TreeSoftmax.backward(probabilities: q, gradOutput: Tensor(shape: [1, 4, 1], values: [0, 0, 1, 0]), tree: tree)
        let want: [Float] = [-0.375 * 0.5, 0.375 * 0.5, 0.375 * 0.25, -0.375 * 0.25]
        for (got, w) in zip(g.array, want) { #expect(abs(got - w) < 1e-7) }
    }

    @Test func referenceBackwardPassesFiniteDifferences() throws {
        let tree = try miniTree()
        let shape = [1, tree.count, 3]
        var rng = SeededRandom(seed: 11)
        let x = (0..<(tree.count * 3)).map { _ in rng.signed() * 3 }
        let u = (0..<(tree.count * 3)).map { _ in rng.signed() }
        func loss(_ x: [Double]) -> Double {
            zip(TreeSoftmax.referenceForward(x, shape: shape, tree: tree), u).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let q = TreeSoftmax.referenceForward(x, shape: shape, tree: tree)
        let analytic = TreeSoftmax.referenceBackward(probabilities: q, gradOutput: u, shape: shape, tree: tree)
        var numeric: [Double] = []
        for i in x.indices {
            var p = x, m = x
            p[i] += 1e-6; m[i] -= 1e-6
            numeric.append((loss(p) - loss(m)) / 2e-6)
        }
        let d = maxScaledDifference(analytic, numeric)
        print("treesoftmax reference backward vs finite differences (Double): \(d)")
        #expect(d < 1e-7)
    }

    @Test func fastBackwardPassesFiniteDifferences() throws {
        let tree = try miniTree()
        let shape = [2, tree.count, 5]
        let x = randomTensor(shape, seed: 21, scale: 2)
        let u = randomTensor(shape, seed: 22, scale: 1)
        func loss(_ t: Tensor) -> Double {
            let q = TreeSoftmax.forward(t, tree: tree)
            return (0..<q.count).reduce(0.0) { $0 + Double(q[flat: $1]) * Double(u[flat: $1]) }
        }
        let analytic = TreeSoftmax.backward(probabilities: TreeSoftmax.forward(x, tree: tree), gradOutput: u, tree: tree)
        var numeric: [Double] = []
        let eps: Float = 1e-2
        for i in 0..<x.count {
            let p = x.copy(), m = x.copy()
            p[flat: i] += eps; m[flat: i] -= eps
            numeric.append((loss(p) - loss(m)) / Double(2 * eps))
        }
        let d = maxScaledDifference(doubles(analytic), numeric)
        print("treesoftmax fast backward vs finite differences (Float, eps 1e-2): \(d)")
        #expect(d < 2e-3)
    }
}

@Suite struct KernelDetailTests {
    @Test func vectorExpMatchesFoundation() {
        var worst = 0.0
        var x: Float = -87
        while x <= 88 {
            let input = Vec8(repeating: x) + Vec8(0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07)
            let v = exp8(input)
            for i in 0..<8 {
                let want = Foundation.exp(Double(input[i]))
                worst = max(worst, abs(Double(v[i]) - want) / want)
            }
            x += 0.37
        }
        print("exp8 largest relative error on [-87, 88]: \(worst)")
        #expect(worst < 5e-7)
        let tiny = exp8(Vec8(repeating: -1000))
        #expect(tiny[0] >= 0 && tiny[0] < 2e-38)
        #expect(exp8(Vec8(repeating: 0))[3] == 1)
    }

    @Test func leafArgmaxFastAgreesWithReferenceIncludingTiesAndTails() throws {
        let tree = try goldenTree()
        let shape = [2, tree.count, 1, 1, 301]
        let q = randomTensor(shape, seed: 77, scale: 1)
        // Ties: two leaves equal at some voxels; the lower class index must win.
        let (a, b) = (tree.leaves[3], tree.leaves[9])
        for v in stride(from: 0, to: 301, by: 7) { q[flat: a * 301 + v] = 5; q[flat: b * 301 + v] = 5 }
        let fast = LeafArgmax.compute(q, tree: tree)
        #expect(fast == LeafArgmax.reference(q, tree: tree))
        #expect(fast[0] == UInt8(a) && fast[7] == UInt8(a))
    }

    @Test func forwardAndBackwardIntoReuseAndInPlace() throws {
        let tree = try miniTree()
        let x = randomTensor([2, tree.count, 4, 5, 7], seed: 5)
        let q = TreeSoftmax.forward(x, tree: tree)
        let inPlace = x.copy()
        TreeSoftmax.forward(inPlace, tree: tree, into: inPlace)
        #expect(inPlace.array == q.array)
        let g = randomTensor(x.shape, seed: 6)
        let d = TreeSoftmax.backward(probabilities: q, gradOutput: g, tree: tree)
        let reused = Tensor(shape: x.shape, repeating: .nan)
        TreeSoftmax.backward(probabilities: q, gradOutput: g, tree: tree, into: reused)
        #expect(reused.array == d.array)
        let loss = SaltLoss(tree: tree)
        let targets = [UInt8](repeating: 4, count: 2 * 140)
        let mask = [Bool](repeating: true, count: tree.count)
        let r1 = loss.compute(probabilities: q, targets: targets, annotated: [mask])
        let r2 = loss.compute(probabilities: q.copy(), targets: targets, annotated: [mask], gradientInto: reused)
        #expect(r1.gradLogits!.array == reused.array && r2.total == r1.total)
    }
}
