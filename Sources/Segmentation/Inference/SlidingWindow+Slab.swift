// What prediction keeps of a finished slab: the predicted class per voxel and chosen channels.

extension SlidingWindow.Slab {
    /// For each voxel (blended tree probabilities, [C, D, H, count]), the class index of the leaf with the
    /// largest probability; the first leaf (in class order) wins ties, as torch.argmax and
    /// `Labels.LeafArgmax` do. Returns [D, H, count] class indices, the last axis fastest.
    public func leafClasses(leaves: [Int]) -> [UInt8] {
        precondition(!leaves.isEmpty && leaves.allSatisfy { $0 < channels && $0 < 256 }, "leaves \(leaves) for \(channels) channels")
        let plane = planeShape[0] * planeShape[1] * count
        var out = [UInt8](repeating: UInt8(leaves[0]), count: plane)
        var best = Array(values[(leaves[0] * plane)..<((leaves[0] + 1) * plane)])
        values.withUnsafeBufferPointer { v in
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

    /// Channel `c` of the slab, [D, H, count], the last axis fastest.
    public func channel(_ c: Int) -> ArraySlice<Float> {
        let plane = planeShape[0] * planeShape[1] * count
        return values[(c * plane)..<((c + 1) * plane)]
    }
}
