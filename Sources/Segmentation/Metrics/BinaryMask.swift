// A binary mask on a 3D voxel grid in NIfTI order: shape [ni, nj, nk], i fastest.

/// A binary mask on a 3D grid, stored as 0/1 bytes with axis 0 (NIfTI i) fastest, like `Volume.voxels`.
public struct BinaryMask: Equatable, Sendable {
    /// [n0, n1, n2]: voxels along NIfTI axes i, j, k.
    public let shape: [Int]
    /// 0 or 1 per voxel; index `i + n0 * (j + n1 * k)`.
    public var values: [UInt8]

    public init(shape: [Int], values: [UInt8]) {
        precondition(shape.count == 3, "a mask needs 3 axes, got shape \(shape)")
        precondition(values.count == shape.reduce(1, *), "mask of shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values.map { $0 != 0 ? 1 : 0 }
    }

    /// The voxels of a label map for which `isMember(label)` holds.
    public init<T>(shape: [Int], labels: [T], where isMember: (T) -> Bool) {
        precondition(labels.count == shape.reduce(1, *), "label map of shape \(shape) needs \(shape.reduce(1, *)) values, got \(labels.count)")
        self.shape = shape
        self.values = labels.map { isMember($0) ? 1 : 0 }
    }

    /// An empty mask.
    public init(shape: [Int]) {
        self.init(shape: shape, values: [UInt8](repeating: 0, count: shape.reduce(1, *)))
    }

    /// Number of voxels in the mask.
    public var count: Int { values.reduce(0) { $0 + Int($1) } }

    /// Index of voxel (i, j, k).
    @inline(__always) public func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + shape[0] * (j + shape[1] * k) }

    /// The smallest box holding every voxel of `a` or `b` as (lower, upper) inclusive corners, or nil when
    /// both are empty.
    static func boundingBox(_ a: BinaryMask, _ b: BinaryMask) -> (lower: [Int], upper: [Int])? {
        precondition(a.shape == b.shape, "masks of shapes \(a.shape) and \(b.shape)")
        let (n0, n1, n2) = (a.shape[0], a.shape[1], a.shape[2])
        var lo = [n0, n1, n2], hi = [-1, -1, -1]
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                for k in 0..<n2 {
                    for j in 0..<n1 {
                        let row = n0 * (j + n1 * k)
                        var first = -1, last = -1
                        for i in 0..<n0 where pa[row + i] | pb[row + i] != 0 {
                            if first < 0 { first = i }
                            last = i
                        }
                        if first < 0 { continue }
                        lo[0] = min(lo[0], first); hi[0] = max(hi[0], last)
                        lo[1] = min(lo[1], j); hi[1] = max(hi[1], j)
                        lo[2] = min(lo[2], k); hi[2] = max(hi[2], k)
                    }
                }
            }
        }
        return hi[0] < 0 ? nil : (lo, hi)
    }
}
