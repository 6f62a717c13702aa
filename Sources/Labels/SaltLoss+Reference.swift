// Plain reference for SaltLoss: Double precision, per voxel, written straight from SALT's code (gather
// valid voxels, dense ancestor-closed targets, Dice sums), for tests to compare the fast kernel against.
import Foundation

extension SaltLoss {
    /// One sample's terms, the gradient of each with respect to q, and the leaf argmax.
    public struct ReferenceSample {
        public var terms: Terms
        /// d(ce)/dq, d(dice)/dq, d(sinkDice)/dq, each [C, S].
        public var gradCE: [Double], gradDice: [Double], gradSink: [Double]
        public var predicted: [Int]
    }

    /// One sample. q: [C, S] probabilities; targets: S class indices (255 = ignore).
    public func referenceSample(probabilities q: [Double], targets: [UInt8], annotated mask: [Bool]) -> ReferenceSample {
        let c = tree.count, s = targets.count
        precondition(q.count == c * s)
        let predicted: [Int] = (0..<s).map { v in
            var best = tree.leaves[0]
            for l in tree.leaves where q[l * s + v] > q[best * s + v] { best = l }
            return best
        }
        let validVoxels = (0..<s).filter { targets[$0] != 255 }
        let classes = (0..<c).filter { mask[$0] }
        // y[v][c]: class c on the path of the target.
        func y(_ v: Int, _ k: Int) -> Double { tree.isInSubtree(Int(targets[v]), of: k) ? 1 : 0 }
        var gradCE = [Double](repeating: 0, count: c * s), gradDice = gradCE, gradSink = gradCE

        // Cross-entropy.
        var ce = Double.nan
        if !validVoxels.isEmpty {
            var total = 0.0
            for v in validVoxels {
                for k in classes where y(v, k) == 1 {
                    let p = q[k * s + v]
                    total -= Foundation.log(Swift.min(Swift.max(p, epsilon), 1 - epsilon))
                    if p >= epsilon && p <= 1 - epsilon { gradCE[k * s + v] -= 1 / (p * Double(validVoxels.count)) }
                }
            }
            ce = total / Double(validVoxels.count)
        }

        // Dice over annotated classes.
        var dice = Double.nan
        if !classes.isEmpty {
            var sum = 0.0
            for k in classes {
                var i = 0.0, g = 0.0, p = 0.0
                for v in validVoxels { i += y(v, k) * q[k * s + v]; g += y(v, k); p += q[k * s + v] }
                let den = g + p + smooth
                sum += 1 - 2 * i / den
                for v in validVoxels {
                    gradDice[k * s + v] += (2 * i - 2 * y(v, k) * den) / (den * den) / Double(classes.count)
                }
            }
            dice = sum / Double(classes.count)
        }

        // Sink Dice.
        var sinkDice = 0.0
        if sinkWeight > 0 {
            var parts: [(sink: Int, target: [Double])] = []
            for sink in tree.sinks {
                let parent = tree.parent[sink]
                let siblings = (parent < 0 ? tree.rootChildren : tree.children[parent]).filter { $0 != sink }
                var target: [Double] = [], anySibling = false
                for v in validVoxels {
                    let t = Int(targets[v]), pred = predicted[v]
                    let inSibling = siblings.contains { tree.isInSubtree(t, of: $0) }
                        || siblings.contains { !mask[$0] && tree.isInSubtree(pred, of: $0) }
                    anySibling = anySibling || inSibling
                    let inParent = parent < 0 || tree.isInSubtree(pred, of: parent)
                    target.append(inParent && !inSibling ? 1 : 0)
                }
                if anySibling { parts.append((sink, target)) }
            }
            if !parts.isEmpty {
                var sum = 0.0
                for (sink, target) in parts {
                    var i = 0.0, g = 0.0, p = 0.0
                    for (n, v) in validVoxels.enumerated() { i += target[n] * q[sink * s + v]; g += target[n]; p += q[sink * s + v] }
                    let den = g + p + smooth
                    sum += 1 - (2 * i + smooth) / den
                    for (n, v) in validVoxels.enumerated() {
                        gradSink[sink * s + v] += sinkWeight / Double(parts.count) * ((2 * i + smooth) - 2 * target[n] * den) / (den * den)
                    }
                }
                sinkDice = sinkWeight * sum / Double(parts.count)
            }
        }
        return ReferenceSample(terms: Terms(ce: ce, dice: dice, sinkDice: sinkDice), gradCE: gradCE, gradDice: gradDice,
                               gradSink: gradSink, predicted: predicted)
    }

    /// A batch from logits ([N, C, S] flattened): SALT's nanmean reduction, and d(total)/d(logits).
    public func reference(logits: [Double], shape: [Int], targets: [UInt8], annotated: [[Bool]])
        -> (terms: Terms, perSample: [Terms], gradLogits: [Double]) {
        let n = shape[0], c = shape[1], s = logits.count / (n * c)
        let q = TreeSoftmax.referenceForward(logits, shape: shape, tree: tree)
        let samples = (0..<n).map { i in
            referenceSample(probabilities: Array(q[(i * c * s)..<((i + 1) * c * s)]),
                            targets: Array(targets[(i * s)..<((i + 1) * s)]),
                            annotated: annotated.count == n ? annotated[i] : annotated[0])
        }
        func count(_ f: (Terms) -> Double) -> Int { samples.filter { !f($0.terms).isNaN }.count }
        func mean(_ f: (Terms) -> Double) -> Double {
            let ok = samples.map { f($0.terms) }.filter { !$0.isNaN }
            return ok.isEmpty ? .nan : ok.reduce(0, +) / Double(ok.count)
        }
        var gradQ = [Double](repeating: 0, count: q.count)
        for (i, sample) in samples.enumerated() {
            let t = sample.terms
            let wc = t.ce.isNaN ? 0 : 1 / Double(count(\.ce))
            let wd = t.dice.isNaN ? 0 : 1 / Double(count(\.dice))
            let ws = t.sinkDice.isNaN ? 0 : 1 / Double(count(\.sinkDice))
            for j in 0..<(c * s) {
                gradQ[i * c * s + j] = wc * sample.gradCE[j] + wd * sample.gradDice[j] + ws * sample.gradSink[j]
            }
        }
        let gradLogits = TreeSoftmax.referenceBackward(probabilities: q, gradOutput: gradQ, shape: shape, tree: tree)
        let terms = Terms(ce: mean(\.ce), dice: mean(\.dice), sinkDice: mean(\.sinkDice))
        return (terms, samples.map(\.terms), gradLogits)
    }
}
