// Tree softmax (SALT's core): a softmax within each group of siblings, then each node's probability times
// its parent's, so every channel holds the joint probability of its node (the product along its path).
//
// logits, probabilities, gradients: [N, C, spatial...] float32, row-major, C = tree.count, the spatial
// axes flattened to S (last axis fastest). The fast kernels work on blocks of up to `block` consecutive
// voxels of one sample, running each group's loop over the block's contiguous voxels (vectorisable,
// cache-resident, no per-voxel allocation); blocks are spread over cores with Parallel.forRanges.
import Foundation
import Tensor

public enum TreeSoftmax {
    /// Voxels per block: 145 classes x 128 voxels x 4 bytes = 74 KB per tensor, inside L2.
    static let block = 128

    /// Joint probabilities of every node. logits: [N, C, ...] -> same shape.
    public static func forward(_ logits: Tensor, tree: LabelTree) -> Tensor {
        let (n, c, s) = dimensions(logits, tree: tree)
        let out = Tensor(shape: logits.shape)
        let x = logits.storage, y = out.storage
        forEachBlock(samples: n, voxels: s) { sample, lo, hi in
            let base = sample * c * s
            forwardBlock(x + base + lo, y + base + lo, stride: s, length: hi - lo, tree: tree)
        }
        return out
    }

    /// Gradient with respect to the logits, given the forward output and the gradient of some scalar with
    /// respect to it. Shapes as `forward`. Needs only the probabilities: with H_i = q_i g_i + sum of H over
    /// i's children, dL/dx_i = H_i - s_i * sum_{k in i's group} H_k, where s_i = q_i / q_parent.
    public static func backward(probabilities: Tensor, gradOutput: Tensor, tree: LabelTree) -> Tensor {
        let (n, c, s) = dimensions(probabilities, tree: tree)
        precondition(gradOutput.shape == probabilities.shape, "gradOutput \(gradOutput.shape) vs probabilities \(probabilities.shape)")
        let out = Tensor(shape: probabilities.shape)
        let q = probabilities.storage, g = gradOutput.storage, d = out.storage
        forEachBlock(samples: n, voxels: s) { sample, lo, hi in
            let base = sample * c * s + lo
            let len = hi - lo
            for k in 0..<c {
                let o = k * s
                for v in 0..<len { d[base + o + v] = q[base + o + v] * g[base + o + v] }
            }
            backwardBlock(q + base, d + base, stride: s, length: len, tree: tree)
        }
        return out
    }

    // MARK: block kernels (shared with SaltLoss)

    /// Runs body(sample, lo, hi) over blocks of voxels, in parallel.
    static func forEachBlock(samples: Int, voxels: Int, _ body: (Int, Int, Int) -> Void) {
        let blocksPerSample = (voxels + block - 1) / block
        Parallel.forRanges(samples * blocksPerSample, oversubscribe: 4) { range in
            for b in range {
                let sample = b / blocksPerSample, lo = (b % blocksPerSample) * block
                body(sample, lo, min(voxels, lo + block))
            }
        }
    }

    /// Forward on `length` voxels; class k's values at x[k * stride + v].
    @inline(__always)
    static func forwardBlock(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, stride s: Int, length len: Int, tree: LabelTree) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * block) { scratch in
            let mx = scratch.baseAddress!, sum = mx + block
            for grp in tree.groups {
                let members = grp.members
                let first = members[0] * s
                for v in 0..<len { mx[v] = x[first + v] }
                for k in members.dropFirst() {
                    let o = k * s
                    for v in 0..<len { mx[v] = Swift.max(mx[v], x[o + v]) }
                }
                for v in 0..<len { sum[v] = 0 }
                for k in members {
                    let o = k * s
                    for v in 0..<len {
                        let e = Foundation.exp(x[o + v] - mx[v])
                        y[o + v] = e
                        sum[v] += e
                    }
                }
                if grp.parent < 0 {
                    for v in 0..<len { sum[v] = 1 / sum[v] }
                } else {
                    let p = grp.parent * s
                    for v in 0..<len { sum[v] = y[p + v] / sum[v] }
                }
                for k in members {
                    let o = k * s
                    for v in 0..<len { y[o + v] *= sum[v] }
                }
            }
        }
    }

    /// Backward on `length` voxels: on entry d holds q * g (dL/dq times q), on exit dL/dx.
    @inline(__always)
    static func backwardBlock(_ q: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, stride s: Int, length len: Int, tree: LabelTree) {
        let groups = tree.groups
        // H_p += sum of H over p's children; children's groups come later in `groups`, so walking backwards
        // finishes every H before it is added to its parent.
        for grp in groups.reversed() where grp.parent >= 0 {
            let p = grp.parent * s
            for k in grp.members {
                let o = k * s
                for v in 0..<len { d[p + v] += d[o + v] }
            }
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * block) { scratch in
            let total = scratch.baseAddress!, inv = total + block
            // dx_i = H_i - (q_i / q_p) * sum_k H_k. A group's members are only overwritten here, after
            // their sum is taken; a parent's own H was used by its group's earlier pass.
            for grp in groups {
                for v in 0..<len { total[v] = 0 }
                for k in grp.members {
                    let o = k * s
                    for v in 0..<len { total[v] += d[o + v] }
                }
                if grp.parent < 0 {
                    for v in 0..<len { inv[v] = total[v] }
                } else {
                    let p = grp.parent * s
                    // q_p == 0 means every q_k == 0: the term vanishes.
                    for v in 0..<len { let qp = q[p + v]; inv[v] = qp > 0 ? total[v] / qp : 0 }
                }
                for k in grp.members {
                    let o = k * s
                    for v in 0..<len { d[o + v] -= q[o + v] * inv[v] }
                }
            }
        }
    }

    static func dimensions(_ t: Tensor, tree: LabelTree) -> (Int, Int, Int) {
        precondition(t.rank >= 2 && t.shape[1] == tree.count,
                     "tree softmax needs [N, \(tree.count), ...], got \(t.shape)")
        let n = t.shape[0], c = t.shape[1]
        return (n, c, n * c == 0 ? 0 : t.count / (n * c))
    }

    // MARK: plain references (Double, per voxel, straight from the definition)

    /// q_c = prod over a on c's path of softmax_{group(a)}(x)_a. Values [N, C, S] flattened.
    public static func referenceForward(_ logits: [Double], shape: [Int], tree: LabelTree) -> [Double] {
        let n = shape[0], c = shape[1], s = logits.count / max(1, n * c)
        var out = Array(repeating: 0.0, count: logits.count)
        for i in 0..<n {
            for v in 0..<s {
                let x = (0..<c).map { logits[(i * c + $0) * s + v] }
                let sm = conditional(x, tree: tree)
                for k in 0..<c {
                    out[(i * c + k) * s + v] = tree.ancestorsOrSelf[k].reduce(1.0) { $0 * sm[$1] }
                }
            }
        }
        return out
    }

    /// dL/dx_j = sum_c g_c q_c sum_{a on c's path, j in group(a)} ([j == a] - s_j), with s recomputed
    /// from the probabilities (s_a = q_a / q_parent(a)).
    public static func referenceBackward(probabilities q: [Double], gradOutput g: [Double], shape: [Int], tree: LabelTree) -> [Double] {
        let n = shape[0], c = shape[1], s = q.count / max(1, n * c)
        var out = Array(repeating: 0.0, count: q.count)
        for i in 0..<n {
            for v in 0..<s {
                let at = { (k: Int) in (i * c + k) * s + v }
                let sm: [Double] = (0..<c).map { k in
                    let p = tree.parent[k]
                    let qp = p < 0 ? 1.0 : q[at(p)]
                    return qp > 0 ? q[at(k)] / qp : 0
                }
                for j in 0..<c {
                    var acc = 0.0
                    for k in 0..<c {
                        var inner = 0.0
                        for a in tree.ancestorsOrSelf[k] where tree.group[a] == tree.group[j] {
                            inner += (a == j ? 1 : 0) - sm[j]
                        }
                        acc += g[at(k)] * q[at(k)] * inner
                    }
                    out[at(j)] = acc
                }
            }
        }
        return out
    }

    /// Softmax within each sibling group (conditional probabilities), numerically stable.
    static func conditional(_ x: [Double], tree: LabelTree) -> [Double] {
        var sm = Array(repeating: 0.0, count: x.count)
        for grp in tree.groups {
            let m = grp.members.map { x[$0] }.max()!
            let total = grp.members.reduce(0.0) { $0 + Foundation.exp(x[$1] - m) }
            for k in grp.members { sm[k] = Foundation.exp(x[k] - m) / total }
        }
        return sm
    }
}
