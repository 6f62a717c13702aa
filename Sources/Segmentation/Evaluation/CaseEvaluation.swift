// Scores of every evaluated tree node in one case, from a predicted and a reference class map.
// Class maps: one byte per voxel, axis 0 fastest (NIfTI order), the class index of the model's tree;
// 255 in the reference marks voxels to ignore.

/// One node to evaluate: its index and which class values (0...255) make up its mask, i.e. the classes of
/// its subtree (a node's mask is the union of its leaves, and of any inner class inside it that a
/// coarser reference uses).
public struct EvaluatedNode: Sendable {
    public var index: Int
    public var name: String
    /// 256 entries: true for class values inside this node's subtree.
    public var members: [Bool]

    public init(index: Int, name: String, members: [Bool]) {
        precondition(members.count == 256, "members needs 256 entries, got \(members.count)")
        self.index = index
        self.name = name
        self.members = members
    }
}

public enum CaseEvaluation {
    /// The value marking reference voxels to ignore (SALT: 255).
    public static let ignoreValue: UInt8 = 255

    /// Scores each of `nodes` in one case. Reference voxels equal to `ignoreValue` are left out of both
    /// masks. Each node's masks are cut to the bounding box of its classes in either map, so the cost
    /// follows the structures' size; the surface metrics see the same result as on the full grid because
    /// everything outside the box is background either way.
    /// - Parameters:
    ///   - prediction, reference: class maps of `shape` (axis 0 fastest).
    ///   - spacing: voxel size in mm along the three axes.
    public static func evaluate(prediction: [UInt8], reference: [UInt8], shape: [Int], spacing: [Double],
                                nodes: [EvaluatedNode], tolerances: [Double] = StructureMetrics.defaultTolerances,
                                surface: Bool = true) -> [StructureMetrics] {
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        precondition(prediction.count == n0 * n1 * n2 && reference.count == prediction.count,
                     "class maps of \(prediction.count) and \(reference.count) voxels for shape \(shape)")
        // Bounding boxes of each class value in each map (ignored voxels left out): slot v for the
        // prediction, 256 + v for the reference; [slot * 3 + axis].
        var lower = [Int](repeating: Int.max, count: 512 * 3)
        var upper = [Int](repeating: -1, count: 512 * 3)
        prediction.withUnsafeBufferPointer { p in
            reference.withUnsafeBufferPointer { r in
                @inline(__always) func note(_ slot: Int, _ i: Int, _ j: Int, _ k: Int) {
                    let b = slot * 3
                    if i < lower[b] { lower[b] = i }
                    if i > upper[b] { upper[b] = i }
                    if j < lower[b + 1] { lower[b + 1] = j }
                    if j > upper[b + 1] { upper[b + 1] = j }
                    if k < lower[b + 2] { lower[b + 2] = k }
                    if k > upper[b + 2] { upper[b + 2] = k }
                }
                for k in 0..<n2 {
                    for j in 0..<n1 {
                        let row = n0 * (j + n1 * k)
                        for i in 0..<n0 {
                            let rv = r[row + i]
                            if rv == ignoreValue { continue }
                            note(Int(p[row + i]), i, j, k)
                            note(256 + Int(rv), i, j, k)
                        }
                    }
                }
            }
        }
        return nodes.map { node in
            var lo = [Int.max, Int.max, Int.max], hi = [-1, -1, -1]
            for v in 0..<256 where node.members[v] {
                for slot in [v, 256 + v] where upper[slot * 3] >= 0 {
                    for a in 0..<3 { lo[a] = min(lo[a], lower[slot * 3 + a]); hi[a] = max(hi[a], upper[slot * 3 + a]) }
                }
            }
            if hi[0] < 0 {
                let empty = BinaryMask(shape: [1, 1, 1])
                return StructureMetrics(groundTruth: empty, prediction: empty, spacing: spacing, tolerances: tolerances, surface: surface)
            }
            let box = (0..<3).map { hi[$0] - lo[$0] + 1 }
            var gt = [UInt8](repeating: 0, count: box.reduce(1, *)), pred = gt
            prediction.withUnsafeBufferPointer { p in
                reference.withUnsafeBufferPointer { r in
                    var q = 0
                    for k in lo[2]...hi[2] {
                        for j in lo[1]...hi[1] {
                            let row = n0 * (j + n1 * k)
                            for i in lo[0]...hi[0] {
                                let rv = r[row + i]
                                if rv != ignoreValue {
                                    if node.members[Int(rv)] { gt[q] = 1 }
                                    if node.members[Int(p[row + i])] { pred[q] = 1 }
                                }
                                q += 1
                            }
                        }
                    }
                }
            }
            return StructureMetrics(groundTruth: BinaryMask(shape: box, values: gt), prediction: BinaryMask(shape: box, values: pred),
                                    spacing: spacing, tolerances: tolerances, surface: surface)
        }
    }
}
