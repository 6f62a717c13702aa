// The prediction of a tree softmax: at each voxel, the leaf with the largest joint probability.
// probabilities: [N, C, spatial...]; result: N * S class indices (UInt8), voxel order as the input.
import Tensor

public enum LeafArgmax {
    /// Most probable leaf per voxel; the first (lowest class index) wins ties, like torch.argmax.
    public static func compute(_ probabilities: Tensor, tree: LabelTree) -> [UInt8] {
        let (n, c, s) = TreeSoftmax.dimensions(probabilities, tree: tree)
        var out = [UInt8](repeating: 0, count: n * s)
        let q = probabilities.storage, leaves = tree.leaves
        let leaves32 = tree.leaves.map(Int32.init)
        out.withUnsafeMutableBufferPointer { op in
            let o = op.baseAddress!
            // Each leaf row is read once, in order, so no copy into a dense block is needed here.
            TreeSoftmax.forEachBlock(samples: n, classes: 2, voxels: s) { sample, lo, len, scratch, _ in
                leaves32.withUnsafeBufferPointer { leaves in
                    block(q + sample * c * s + lo, stride: s, leaves: leaves, length: len, scratch: scratch, into: o + sample * s + lo)
                }
            }
        }
        return out
    }

    /// Argmax over the leaf rows of one block (class k's voxel v at base[k * stride + v]) for `length`
    /// voxels (at most TreeSoftmax.block). Rows are read one after another (rows 1 MiB apart would evict
    /// each other if read across), eight lanes at a time; `scratch` holds 2 * TreeSoftmax.block floats.
    @inline(__always)
    static func block(_ base: UnsafePointer<Float>, stride: Int, leaves: UnsafeBufferPointer<Int32>, length len: Int,
                      scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<UInt8>) {
        let whole = len & ~7
        let best = scratch
        let index = UnsafeMutableRawPointer(scratch + TreeSoftmax.block).bindMemory(to: Int32.self, capacity: TreeSoftmax.block)
        let first = base + Int(leaves[0]) &* stride
        for j in Swift.stride(from: 0, to: whole, by: 8) {
            store8(load8(first + j), best + j)
            UnsafeMutableRawPointer(index + j).storeBytes(of: SIMD8<Int32>(repeating: leaves[0]), as: SIMD8<Int32>.self)
        }
        for l in leaves.dropFirst() {
            let row = base + Int(l) &* stride
            let tag = SIMD8<Int32>(repeating: l)
            for j in Swift.stride(from: 0, to: whole, by: 8) {
                let v = load8(row + j)
                var b = load8(best + j)
                var i = UnsafeRawPointer(index + j).loadUnaligned(as: SIMD8<Int32>.self)
                let better = v .> b          // strict: the first maximum wins, like torch.argmax
                b.replace(with: v, where: better)
                i.replace(with: tag, where: better)
                store8(b, best + j)
                UnsafeMutableRawPointer(index + j).storeBytes(of: i, as: SIMD8<Int32>.self)
            }
        }
        for v in 0..<whole { out[v] = UInt8(truncatingIfNeeded: index[v]) }
        for v in whole..<len {
            var top = base[Int(leaves[0]) &* stride &+ v], arg = leaves[0]
            for l in leaves.dropFirst() where base[Int(l) &* stride &+ v] > top { top = base[Int(l) &* stride &+ v]; arg = l }
            out[v] = UInt8(truncatingIfNeeded: arg)
        }
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
