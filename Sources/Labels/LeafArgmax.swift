// The prediction of a tree softmax: at each voxel, the leaf with the largest joint probability.
// probabilities: [N, C, spatial...]; result: N * S class indices (UInt8), voxel order as the input.
import Tensor

public enum LeafArgmax {
    /// Most probable leaf per voxel; the first (lowest class index) wins ties, like torch.argmax.
    public static func compute(_ probabilities: Tensor, tree: LabelTree) -> [UInt8] {
        let (n, c, s) = TreeSoftmax.dimensions(probabilities, tree: tree)
        var out = [UInt8](repeating: 0, count: n * s)
        let q = probabilities.storage, leaves = tree.leaves, block = TreeSoftmax.block
        out.withUnsafeMutableBufferPointer { op in
            let o = op.baseAddress!
            TreeSoftmax.forEachBlock(samples: n, voxels: s) { sample, lo, hi in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { best in
                    let base = q + sample * c * s + lo, dst = o + sample * s + lo, len = hi - lo
                    for v in 0..<len { best[v] = base[leaves[0] * s + v]; dst[v] = UInt8(leaves[0]) }
                    for l in leaves.dropFirst() {
                        let row = base + l * s
                        for v in 0..<len where row[v] > best[v] { best[v] = row[v]; dst[v] = UInt8(l) }
                    }
                }
            }
        }
        return out
    }

    /// Plain reference: per voxel, scan the leaves.
    public static func reference(_ probabilities: Tensor, tree: LabelTree) -> [UInt8] {
        let (n, c, s) = TreeSoftmax.dimensions(probabilities, tree: tree)
        var out: [UInt8] = []
        for i in 0..<n {
            for v in 0..<s {
                var best = tree.leaves[0]
                for l in tree.leaves where probabilities[flat: (i * c + l) * s + v] > probabilities[flat: (i * c + best) * s + v] { best = l }
                out.append(UInt8(best))
            }
        }
        return out
    }
}

/// The mask of a node in a class map: a voxel belongs to a node when its class lies in the node's
/// subtree (so a node is the union of its leaves). Value 255 (ignore) belongs to no node.
public enum NodeMask {
    /// 256-entry table: class value -> belongs to `node`.
    public static func table(node: Int, tree: LabelTree) -> [Bool] {
        var t = [Bool](repeating: false, count: 256)
        for k in 0..<tree.count where tree.isInSubtree(k, of: node) { t[k] = true }
        return t
    }

    public static func mask(node: Int, classMap: [UInt8], tree: LabelTree) -> [Bool] {
        let t = table(node: node, tree: tree)
        return classMap.map { t[Int($0)] }
    }
}
