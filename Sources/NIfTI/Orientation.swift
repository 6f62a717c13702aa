// Axis orientation codes, following nibabel's io_orientation / aff2axcodes: each voxel axis is named by
// the world direction it points to (RAS: +i goes Right, +j Anterior, +k Superior). MONAI's Orientation
// transform uses the same convention, so "LPI" means +i Left, +j Posterior, +k Inferior.

/// For each voxel axis: which world axis (0 = x, 1 = y, 2 = z) it runs along, and in which direction (+1/-1).
public struct AxisOrientation: Equatable, Sendable {
    public var worldAxis: Int
    public var sign: Int
}

public enum Orientation {
    static let letters: [(negative: Character, positive: Character)] = [("L", "R"), ("P", "A"), ("I", "S")]

    /// nibabel's io_orientation: the polar decomposition of the affine's normalised 3x3 part, then
    /// for each voxel axis in turn the world axis with the largest absolute entry (used axes removed).
    public static func axes(of affine: Affine) -> [AxisOrientation?] {
        var rs = (0..<3).map { r in (0..<3).map { c in affine.m[r][c] } }
        for c in 0..<3 {
            var norm = 0.0
            for r in 0..<3 { norm += rs[r][c] * rs[r][c] }
            norm = norm.squareRoot()
            if norm == 0 { norm = 1 }
            for r in 0..<3 { rs[r][c] /= norm }
        }
        var rot = polarRotation(rs) ?? rs
        var out: [AxisOrientation?] = []
        for inAxis in 0..<3 {
            let col = (0..<3).map { rot[$0][inAxis] }
            if col.allSatisfy({ abs($0) <= 1e-8 }) { out.append(nil); continue }
            var best = 0
            for r in 1..<3 where abs(col[r]) > abs(col[best]) { best = r }
            out.append(AxisOrientation(worldAxis: best, sign: col[best] < 0 ? -1 : 1))
            for c in 0..<3 { rot[best][c] = 0 }
        }
        return out
    }

    /// The axis codes of an affine, e.g. "RAS" or "LPS" (nibabel aff2axcodes); "?" for a degenerate axis.
    public static func codes(of affine: Affine) -> String {
        String(axes(of: affine).map { a -> Character in
            guard let a else { return "?" }
            return a.sign < 0 ? letters[a.worldAxis].negative : letters[a.worldAxis].positive
        })
    }

    /// Parses three axis codes such as "LPI" (case-insensitive); nil when a letter is unknown or a world
    /// axis is named twice.
    public static func parse(_ codes: String) -> [AxisOrientation]? {
        let chars = Array(codes.uppercased())
        guard chars.count == 3 else { return nil }
        var out: [AxisOrientation] = []
        for ch in chars {
            guard let axis = letters.firstIndex(where: { $0.negative == ch || $0.positive == ch }) else { return nil }
            out.append(AxisOrientation(worldAxis: axis, sign: letters[axis].positive == ch ? 1 : -1))
        }
        guard Set(out.map(\.worldAxis)).count == 3 else { return nil }
        return out
    }

    /// The orthogonal polar factor of a 3x3 matrix (the rotation closest to it), by Newton's iteration
    /// R <- (R + R^-T) / 2; nil when the matrix is singular.
    static func polarRotation(_ a: [[Double]]) -> [[Double]]? {
        var r = a
        for _ in 0..<100 {
            guard let inv = inverse3(r) else { return nil }
            var next = r
            var change = 0.0
            for i in 0..<3 {
                for j in 0..<3 {
                    next[i][j] = 0.5 * (r[i][j] + inv[j][i])
                    change = max(change, abs(next[i][j] - r[i][j]))
                }
            }
            r = next
            if change < 1e-15 { break }
        }
        return r
    }

    static func inverse3(_ a: [[Double]]) -> [[Double]]? {
        let c00 = a[1][1] * a[2][2] - a[1][2] * a[2][1]
        let c01 = a[1][2] * a[2][0] - a[1][0] * a[2][2]
        let c02 = a[1][0] * a[2][1] - a[1][1] * a[2][0]
        let det = a[0][0] * c00 + a[0][1] * c01 + a[0][2] * c02
        guard abs(det) > 1e-12 else { return nil }
        return [
            [c00 / det, (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det, (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det],
            [c01 / det, (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det, (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det],
            [c02 / det, (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det, (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det],
        ]
    }
}
