import Foundation
// A 4x4 voxel-to-world matrix: world (x, y, z, 1) = m * (i, j, k, 1), world in NIfTI RAS+ millimetres
// (+x right, +y anterior, +z superior), as NIfTI's qform/sform and nibabel's `affine` define it.

/// A 4x4 affine voxel-to-world transform. Row-major `m[row][column]`; the last row is [0, 0, 0, 1].
public struct Affine: Equatable, Sendable, CustomStringConvertible {
    public var m: [[Double]]

    public init(_ m: [[Double]]) {
        precondition(m.count == 4 && m.allSatisfy { $0.count == 4 }, "an affine is 4x4, got \(m.map(\.count))")
        self.m = m
    }

    public static let identity = Affine([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])

    /// Diagonal scaling by `spacing` with no translation (NIfTI method 1, qform_code = sform_code = 0).
    public static func diagonal(_ spacing: [Double]) -> Affine {
        precondition(spacing.count == 3, "spacing has 3 values, got \(spacing)")
        var a = Affine.identity
        for d in 0..<3 { a.m[d][d] = spacing[d] }
        return a
    }

    /// The world position of a (possibly fractional) voxel index (i, j, k).
    public func apply(_ ijk: [Double]) -> [Double] {
        precondition(ijk.count == 3, "apply takes (i, j, k), got \(ijk)")
        return (0..<3).map { r in m[r][0] * ijk[0] + m[r][1] * ijk[1] + m[r][2] * ijk[2] + m[r][3] }
    }

    /// self * other (apply `other` first).
    public func multiplied(by other: Affine) -> Affine {
        var out = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for r in 0..<4 {
            for c in 0..<4 {
                var s = 0.0
                for k in 0..<4 { s += m[r][k] * other.m[k][c] }
                out[r][c] = s
            }
        }
        return Affine(out)
    }

    public static func * (a: Affine, b: Affine) -> Affine { a.multiplied(by: b) }

    /// The inverse (world to voxel), by Gauss-Jordan elimination with partial pivoting. A singular
    /// matrix (a zero column) gives non-finite entries.
    public var inverse: Affine {
        var a = m
        var inv = Affine.identity.m
        for col in 0..<4 {
            var pivot = col
            for r in col..<4 where abs(a[r][col]) > abs(a[pivot][col]) { pivot = r }
            a.swapAt(col, pivot)
            inv.swapAt(col, pivot)
            let p = a[col][col]
            for c in 0..<4 { a[col][c] /= p; inv[col][c] /= p }
            for r in 0..<4 where r != col {
                let f = a[r][col]
                if f == 0 { continue }
                for c in 0..<4 { a[r][c] -= f * a[col][c]; inv[r][c] -= f * inv[col][c] }
            }
        }
        return Affine(inv)
    }

    /// The voxel size along i, j, k: the lengths of the first three columns (MONAI's affine_to_spacing).
    public var spacing: [Double] {
        (0..<3).map { c in (0..<3).reduce(0.0) { $0 + m[$1][c] * m[$1][c] }.squareRoot() }
    }

    /// The translation column (world position of voxel (0, 0, 0)).
    public var origin: [Double] { [m[0][3], m[1][3], m[2][3]] }

    /// Largest absolute difference between entries.
    public func maxDifference(_ other: Affine) -> Double {
        var worst = 0.0
        for r in 0..<4 { for c in 0..<4 { worst = max(worst, abs(m[r][c] - other.m[r][c])) } }
        return worst
    }

    public var description: String {
        m.map { row in row.map { formatNumber($0) }.joined(separator: " ") }.joined(separator: "\n")
    }
}

/// A short decimal for display: integers without a fraction, others with up to 6 significant digits.
func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
    var s = String(format: "%.6g", x)
    if s == "-0" { s = "0" }
    return s
}
