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
    static let block = 256   // a multiple of 8 (Vec8 lanes)

    /// Joint probabilities of every node. logits: [N, C, ...] -> same shape.
    public static func forward(_ logits: Tensor, tree: LabelTree) -> Tensor {
        let out = Tensor(shape: logits.shape)
        forward(logits, tree: tree, into: out)
        return out
    }

    /// Forward into an existing tensor of the same shape (reusing it saves the page faults of a fresh
    /// allocation, a large share of the cost on a 64^3 x 145 patch). `out` may be `logits` itself.
    public static func forward(_ logits: Tensor, tree: LabelTree, into out: Tensor) {
        let (n, c, s) = dimensions(logits, tree: tree)
        precondition(out.shape == logits.shape, "output \(out.shape) for logits \(logits.shape)")
        let x = logits.storage, y = out.storage
        forEachBlock(samples: n, classes: c, voxels: s) { sample, lo, len, a, _ in
            let base = sample * c * s + lo
            gather(x + base, stride: s, classes: c, length: len, into: a)
            forwardBlock(a, tree: tree)
            scatter(a, classes: c, length: len, into: y + base, stride: s)
        }
    }

    /// Gradient with respect to the logits, given the forward output and the gradient of some scalar with
    /// respect to it. Shapes as `forward`. Needs only the probabilities: with H_i = q_i g_i + sum of H over
    /// i's children, dL/dx_i = H_i - s_i * sum_{k in i's group} H_k, where s_i = q_i / q_parent.
    public static func backward(probabilities: Tensor, gradOutput: Tensor, tree: LabelTree) -> Tensor {
        let out = Tensor(shape: probabilities.shape)
        backward(probabilities: probabilities, gradOutput: gradOutput, tree: tree, into: out)
        return out
    }

    /// Backward into an existing tensor (may be `gradOutput` itself).
    public static func backward(probabilities: Tensor, gradOutput: Tensor, tree: LabelTree, into out: Tensor) {
        let (n, c, s) = dimensions(probabilities, tree: tree)
        precondition(gradOutput.shape == probabilities.shape && out.shape == probabilities.shape,
                     "gradOutput \(gradOutput.shape), output \(out.shape) vs probabilities \(probabilities.shape)")
        let q = probabilities.storage, g = gradOutput.storage, d = out.storage
        forEachBlock(samples: n, classes: c, voxels: s) { sample, lo, len, qa, da in
            let base = sample * c * s + lo
            gather(q + base, stride: s, classes: c, length: len, into: qa)
            gather(g + base, stride: s, classes: c, length: len, into: da)
            multiply(da, by: qa, count: c * block)
            backwardBlock(qa, da, tree: tree)
            scatter(da, classes: c, length: len, into: d + base, stride: s)
        }
    }

    // MARK: block kernels (shared with SaltLoss)

    /// Runs body(sample, lo, length, scratchA, scratchB) over blocks of voxels, in parallel; each scratch
    /// holds classes x `block` floats (class k's values at k * block), reused across a worker's blocks.
    ///
    /// Why copy blocks into scratch: in a [N, C, S] tensor one class's voxels are S floats apart, and for
    /// patch sizes like 64^3 that is exactly 1 MiB, so every class of a block maps to the same cache set
    /// and they evict each other; the copy streams each row once and the math runs on a dense block.
    static func forEachBlock(samples: Int, classes c: Int, voxels: Int,
                             _ body: (Int, Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let blocksPerSample = (voxels + block - 1) / block
        Parallel.forRanges(samples * blocksPerSample, oversubscribe: 4) { range in
            let a = UnsafeMutablePointer<Float>.allocate(capacity: c * block)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: c * block)
            a.initialize(repeating: 0, count: c * block)
            b.initialize(repeating: 0, count: c * block)
            defer { a.deallocate(); b.deallocate() }
            for blk in range {
                let sample = blk / blocksPerSample, lo = (blk % blocksPerSample) * block
                body(sample, lo, min(voxels, lo + block) - lo, a, b)
            }
        }
    }

    /// Copies `length` voxels of each class (rows `stride` apart) into a dense block (rows `block` apart).
    @inline(__always)
    static func gather(_ src: UnsafePointer<Float>, stride s: Int, classes c: Int, length len: Int, into dst: UnsafeMutablePointer<Float>) {
        for k in 0..<c { (dst + k * block).update(from: src + k * s, count: len) }
    }

    @inline(__always)
    static func scatter(_ src: UnsafePointer<Float>, classes c: Int, length len: Int, into dst: UnsafeMutablePointer<Float>, stride s: Int) {
        for k in 0..<c { (dst + k * s).update(from: src + k * block, count: len) }
    }

    /// Forward, in place, on one dense block (class k's `block` voxels at x[k * block]): logits in,
    /// joint probabilities out. All `block` lanes are computed (a partial block's tail is scratch).
    @inline(__always)
    static func forwardBlock(_ x: UnsafeMutablePointer<Float>, tree: LabelTree) {
        for grp in tree.groups {
            let members = grp.members, parent = grp.parent
            for j in Swift.stride(from: 0, to: block, by: 8) {
                let base = x + j
                var m = load8(base + members[0] &* block)
                for k in members.dropFirst() { m = max8(m, load8(base + k &* block)) }
                var sum = Vec8(repeating: 0)
                for k in members {
                    let e = exp8(load8(base + k &* block) - m)
                    store8(e, base + k &* block)
                    sum += e
                }
                let scale = (parent < 0 ? Vec8(repeating: 1) : load8(base + parent &* block)) / sum
                for k in members { store8(load8(base + k &* block) * scale, base + k &* block) }
            }
        }
    }

    /// Backward, in place, on one dense block: on entry d holds q * g (dL/dq times q), on exit dL/dx.
    @inline(__always)
    static func backwardBlock(_ q: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, tree: LabelTree) {
        let groups = tree.groups
        // H_p += sum of H over p's children; children's groups come later in `groups`, so walking backwards
        // finishes every H before it is added to its parent.
        for grp in groups.reversed() where grp.parent >= 0 {
            let members = grp.members, p = grp.parent &* block
            for j in Swift.stride(from: 0, to: block, by: 8) {
                var acc = load8(d + (p &+ j))
                for k in members { acc += load8(d + (k &* block &+ j)) }
                store8(acc, d + (p &+ j))
            }
        }
        // dx_i = H_i - (q_i / q_p) * sum_k H_k. A group's members are only overwritten here, after their
        // sum is taken; a parent's own H was used by its group's earlier pass.
        let zero = Vec8(repeating: 0)
        for grp in groups {
            let members = grp.members, parent = grp.parent
            for j in Swift.stride(from: 0, to: block, by: 8) {
                var total = zero
                for k in members { total += load8(d + (k &* block &+ j)) }
                if parent >= 0 {
                    // q_p == 0 means every q_k == 0: the term vanishes.
                    let qp = load8(q + (parent &* block &+ j))
                    total = (total / qp).replacing(with: zero, where: qp .<= zero)
                }
                for k in members {
                    let o = k &* block &+ j
                    store8(load8(d + o) - load8(q + o) * total, d + o)
                }
            }
        }
    }

    /// d[i] *= q[i] over `count` floats (a multiple of 8).
    @inline(__always)
    static func multiply(_ d: UnsafeMutablePointer<Float>, by q: UnsafePointer<Float>, count: Int) {
        for i in Swift.stride(from: 0, to: count, by: 8) { store8(load8(d + i) * load8(q + i), d + i) }
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
