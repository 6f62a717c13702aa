import Foundation
import Network
import SafeTensors
import Tensor
import Testing
import TestSupport

/// ../shared/golden/sliding_window holds MONAI's blended tree probabilities over a 40x36x20 volume
/// (roi 16^3, overlap 0.5). Window starts are 0,8,16,24 / 0,8,16,20 / 0,4 along the three axes, so the
/// corner [0,8) x [0,8) x [0,4) is covered by the first window alone and the Gaussian weights cancel
/// there: it must equal TreeSoftmax(net(volume[0:16, 0:16, 0:16])) exactly.
@Suite struct SlidingWindowGoldenTests {
    @Test func firstWindowCornerMatchesMONAI() throws {
        let file = try Shared.goldenTensors("sliding_window.safetensors")
        let net = try Golden.network(file)
        let volume = Golden.tensor(try file.tensor("volume"))
        let (D, H, W) = (volume.shape[2], volume.shape[3], volume.shape[4])
        let window = Tensor(shape: [1, 1, 16, 16, 16])
        for d in 0..<16 { for h in 0..<16 { for w in 0..<16 {
            window.storage[(d * 16 + h) * 16 + w] = volume.storage[(d * H + h) * W + w]
        } } }
        let logits = net.forward(window)
        let tree = try Shared.goldenJSON("mini_tree.json") as! [String: Any]
        let adjacency = tree["adjacency_matrix"] as! [[Int]]
        let probs = Self.treeSoftmax(logits, adjacency: adjacency)

        let golden = try file.tensor("probs"), leaf = try file.tensor("pred_leaf")
        let classes = logits.shape[1]
        let leaves = (0..<classes).filter { c in adjacency[c + 1].allSatisfy { $0 == 0 } }
        var mine: [Double] = [], theirs: [Double] = [], leafMismatches = 0
        for c in 0..<classes { for d in 0..<8 { for h in 0..<8 { for w in 0..<4 {
            mine.append(Double(probs.storage[((c * 16 + d) * 16 + h) * 16 + w]))
            theirs.append(golden.values[((c * D + d) * H + h) * W + w])
        } } } }
        for d in 0..<8 { for h in 0..<8 { for w in 0..<4 {
            let best = leaves.max { probs.storage[(($0 * 16 + d) * 16 + h) * 16 + w] < probs.storage[(($1 * 16 + d) * 16 + h) * 16 + w] }!
            if best != Int(leaf.values[(d * H + h) * W + w]) { leafMismatches += 1 }
        } } }
        let diff = maxScaledDifference(mine, theirs)
        print("sliding-window corner (tree probabilities, \(mine.count) values): largest scaled difference \(diff); leaf argmax mismatches \(leafMismatches)")
        #expect(diff < 1e-3)
        #expect(leafMismatches == 0)
        #expect(maxRelativeDifference(mine, theirs, floor: 1e-3) < 1e-3)
    }

    /// Softmax within each group of siblings, then the product along the path from the root (the root,
    /// row 0 of the adjacency matrix, is not a class). logits: [1, C, ...].
    static func treeSoftmax(_ logits: Tensor, adjacency: [[Int]]) -> Tensor {
        let classes = logits.shape[1], m = logits.count / classes
        let parent = (0..<classes).map { c in (0...classes).first { adjacency[$0][c + 1] == 1 }! }
        let out = Tensor(shape: logits.shape)
        for v in 0..<m {
            var p = [Double](repeating: 0, count: classes + 1)
            p[0] = 1
            // Parents come before children in this tree's order, so one pass down the nodes suffices.
            for node in 0...classes {
                let children = (0..<classes).filter { parent[$0] == node }
                if children.isEmpty { continue }
                let z = children.map { Double(logits.storage[$0 * m + v]) }
                let top = z.max()!
                let e = z.map { Foundation.exp($0 - top) }, s = e.reduce(0, +)
                for (k, c) in children.enumerated() { p[c + 1] = p[node] * e[k] / s }
            }
            for c in 0..<classes { out.storage[c * m + v] = Float(p[c + 1]) }
        }
        return out
    }
}
