// The predicted class of each voxel: the leaf with the highest tree probability.
import Labels

public enum LeafArgmax {
    /// For each voxel of `slab` (blended tree probabilities, [C, D, H, n]), the class index of the leaf
    /// with the largest probability; the first leaf (in class order) wins ties, as torch.argmax does.
    /// Returns [D, H, n] class indices with the last axis fastest.
    public static func classes(of slab: SlidingWindow.Slab, leaves: [Int]) -> [UInt8] {
        precondition(!leaves.isEmpty && leaves.allSatisfy { $0 < slab.channels && $0 < 256 }, "leaves \(leaves) for \(slab.channels) channels")
        let plane = slab.planeShape[0] * slab.planeShape[1] * slab.count
        var out = [UInt8](repeating: UInt8(leaves[0]), count: plane)
        var best = Array(slab.values[(leaves[0] * plane)..<((leaves[0] + 1) * plane)])
        slab.values.withUnsafeBufferPointer { v in
            for leaf in leaves.dropFirst() {
                let base = leaf * plane
                for p in 0..<plane where v[base + p] > best[p] {
                    best[p] = v[base + p]
                    out[p] = UInt8(leaf)
                }
            }
        }
        return out
    }
}
