// The one mapping between NIfTI voxel order and tensors: a volume [ni, nj, nk] stored i fastest becomes
// the tensor [1, 1, ni, nj, nk] (D, H, W = i, j, k, W fastest), as SALT's nibabel -> torch path gives.
import Tensor

public enum VolumeLayout {
    /// A tensor [1, 1, ni, nj, nk] from voxels stored i fastest.
    public static func tensor(_ voxels: [Float], shape: [Int]) -> Tensor {
        let (ni, nj, nk) = (shape[0], shape[1], shape[2])
        precondition(voxels.count == ni * nj * nk, "\(voxels.count) voxels for shape \(shape)")
        let t = Tensor(shape: [1, 1, ni, nj, nk])
        voxels.withUnsafeBufferPointer { v in
            let out = t.storage
            Parallel.forRanges(ni, oversubscribe: 2) { range in
                for i in range { for j in 0..<nj { for k in 0..<nk {
                    out[(i * nj + j) * nk + k] = v[i + ni * (j + nj * k)]
                } } }
            }
        }
        return t
    }

    /// Voxels stored i fastest from values laid out [ni, nj, nk] with k fastest (a tensor's spatial part).
    public static func voxels<T>(fromTensorOrder values: [T], shape: [Int]) -> [T] {
        let (ni, nj, nk) = (shape[0], shape[1], shape[2])
        precondition(values.count == ni * nj * nk, "\(values.count) values for shape \(shape)")
        var out = values
        for i in 0..<ni { for j in 0..<nj { for k in 0..<nk {
            out[i + ni * (j + nj * k)] = values[(i * nj + j) * nk + k]
        } } }
        return out
    }
}
