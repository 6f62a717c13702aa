// Reorientation: an exact permutation and flipping of the voxel axes so that they point along the
// requested world directions (MONAI's Orientation transform, nibabel's ornt_transform). Values are
// moved, never interpolated, so reorienting back restores the voxels bit for bit.

extension Volume {
    /// The volume with its voxel axes permuted and flipped to `codes` (e.g. "LPI", "RAS"; nibabel's
    /// convention: each letter is the direction the axis points to). The affine is updated so every
    /// voxel keeps its world position. `codes` must be three letters naming x (L/R), y (P/A) and z
    /// (I/S) once each; check user input with `Orientation.parse` first.
    public func reoriented(to codes: String) -> Volume {
        precondition(shape.count == 3, "reoriented(to:) needs a 3D volume, got shape \(shape)")
        guard let target = Orientation.parse(codes) else {
            preconditionFailure("reoriented(to: \"\(codes)\"): axis codes must be 3 letters naming L/R, P/A and I/S once each")
        }
        let current = Orientation.axes(of: affine)
        precondition(!current.contains { $0 == nil }, "reoriented(to:): the affine has a degenerate axis:\n\(affine)")
        // For each new axis t: the old axis it comes from and whether it runs backwards.
        var from = [0, 0, 0], flip = [false, false, false]
        for t in 0..<3 {
            let a = current.firstIndex { $0!.worldAxis == target[t].worldAxis }!
            from[t] = a
            flip[t] = current[a]!.sign != target[t].sign
        }
        if from == [0, 1, 2] && flip == [false, false, false] { return self }
        let newShape = from.map { shape[$0] }
        // old index = M * new index + c
        var transform = Affine.identity.m
        for r in 0..<3 { transform[r] = [0, 0, 0, 0] }
        for t in 0..<3 {
            transform[from[t]][t] = flip[t] ? -1 : 1
            transform[from[t]][3] = flip[t] ? Double(shape[from[t]] - 1) : 0
        }
        let newAffine = affine * Affine(transform)

        let oldStride = [1, shape[0], shape[0] * shape[1]]
        var step = [0, 0, 0], start = 0
        for t in 0..<3 {
            step[t] = flip[t] ? -oldStride[from[t]] : oldStride[from[t]]
            if flip[t] { start += (shape[from[t]] - 1) * oldStride[from[t]] }
        }
        let (n0, n1, n2) = (newShape[0], newShape[1], newShape[2])
        let out = voxels.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: voxels.count) { dst, initialized in
                var o = 0
                for k in 0..<n2 {
                    for j in 0..<n1 {
                        var s = start + j * step[1] + k * step[2]
                        for _ in 0..<n0 {
                            dst[o] = src[s]
                            o += 1
                            s += step[0]
                        }
                    }
                }
                initialized = voxels.count
            }
        }
        var v = self
        v.shape = newShape
        v.voxels = out
        v.affine = newAffine
        v.spacing = newAffine.spacing
        v.orientation = Orientation.codes(of: newAffine)
        return v
    }
}
