// The body of a CT, derived from the image itself: voxels above a threshold (-500 HU: tissue and bone,
// not air), the largest 6-connected component (drops
// the table, blankets, noise), then holes filled slice by slice across the axial axis (lungs, bowel gas).
// Used with --body-mask so that a dataset labelled with one structure only (a heart mask) says "body"
// inside the body and "background" outside, and can train beside datasets labelled more deeply.
//
// Grids: voxels [n0 * n1 * n2], index i + n0 * (j + n1 * k) (i fastest, as NIfTI stores them).

public enum BodyMask {
    /// The mask (true inside the body). `axialAxis` is the voxel axis closest to the world z axis.
    public static func compute(voxels: [Float], shape: [Int], axialAxis: Int, threshold: Float = -500) -> [Bool] {
        precondition(shape.count == 3 && voxels.count == shape[0] * shape[1] * shape[2] && (0..<3).contains(axialAxis),
                     "body mask of \(voxels.count) voxels with shape \(shape), axial axis \(axialAxis)")
        let above = voxels.map { $0 > threshold }
        var mask = largestComponent(above, shape: shape)
        fillHolesPerSlice(&mask, shape: shape, axis: axialAxis)
        return mask
    }

    /// The largest 6-connected component of `mask` (ties: the one met first in voxel order).
    static func largestComponent(_ mask: [Bool], shape: [Int]) -> [Bool] {
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        let n = mask.count
        var seen = [Bool](repeating: false, count: n)
        var queue = [Int32]()
        var bestSeed = -1, bestSize = 0
        func flood(from seed: Int, marking out: inout [Bool]) -> Int {
            queue.removeAll(keepingCapacity: true)
            queue.append(Int32(seed))
            out[seed] = true
            var head = 0
            while head < queue.count {
                let p = Int(queue[head]); head += 1
                let i = p % n0, j = (p / n0) % n1, k = p / (n0 * n1)
                func visit(_ q: Int) {
                    if mask[q] && !out[q] { out[q] = true; queue.append(Int32(q)) }
                }
                if i > 0 { visit(p - 1) }
                if i + 1 < n0 { visit(p + 1) }
                if j > 0 { visit(p - n0) }
                if j + 1 < n1 { visit(p + n0) }
                if k > 0 { visit(p - n0 * n1) }
                if k + 1 < n2 { visit(p + n0 * n1) }
            }
            return queue.count
        }
        for p in 0..<n where mask[p] && !seen[p] {
            let size = flood(from: p, marking: &seen)
            if size > bestSize { bestSize = size; bestSeed = p }
        }
        var out = [Bool](repeating: false, count: n)
        if bestSeed >= 0 { _ = flood(from: bestSeed, marking: &out) }
        return out
    }

    /// In every slice across `axis`, sets the pixels that the slice's border cannot reach through
    /// unmasked pixels (4-connected): the holes.
    static func fillHolesPerSlice(_ mask: inout [Bool], shape: [Int], axis: Int) {
        let strides = [1, shape[0], shape[0] * shape[1]]
        let (a, b) = axis == 0 ? (1, 2) : axis == 1 ? (0, 2) : (0, 1)
        let na = shape[a], nb = shape[b]
        var outside = [Bool](repeating: false, count: na * nb)
        var stack = [Int]()
        for s in 0..<shape[axis] {
            let base = s * strides[axis]
            func at(_ u: Int, _ v: Int) -> Int { base + u * strides[a] + v * strides[b] }
            for q in outside.indices { outside[q] = false }
            stack.removeAll(keepingCapacity: true)
            func push(_ u: Int, _ v: Int) {
                let q = u + na * v
                if !outside[q] && !mask[at(u, v)] { outside[q] = true; stack.append(q) }
            }
            for u in 0..<na { push(u, 0); push(u, nb - 1) }
            for v in 0..<nb { push(0, v); push(na - 1, v) }
            while let q = stack.popLast() {
                let u = q % na, v = q / na
                if u > 0 { push(u - 1, v) }
                if u + 1 < na { push(u + 1, v) }
                if v > 0 { push(u, v - 1) }
                if v + 1 < nb { push(u, v + 1) }
            }
            for v in 0..<nb { for u in 0..<na where !outside[u + na * v] { mask[at(u, v)] = true } }
        }
    }
}
