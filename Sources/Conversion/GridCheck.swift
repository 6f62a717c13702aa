// Whether a label map lies on its image's grid. Shapes must be equal. Affines are compared by how far
// apart they put the grid's corners in the world: the largest corner displacement in mm, a physical
// measure that treats rotation, scaling and shift alike. Within 1e-3 mm the grids are the same; within
// the spec's `header-tolerance-mm` the difference is a header error (LiTS: a label's qform and sform
// rounded differently from its volume's) and the label takes the image's affine; beyond it, refuse.
import NIfTI

enum GridCheck {
    enum Verdict: Equatable {
        case same
        /// Repairable; the displacement in mm.
        case headerError(Double)
    }

    /// Largest distance (mm) between the world positions `a` and `b` give the eight corners of a grid.
    static func cornerDisplacement(_ a: Affine, _ b: Affine, shape: [Int]) -> Double {
        var worst = 0.0
        for corner in 0..<8 {
            let ijk = (0..<3).map { d in (corner >> d) & 1 == 1 ? Double(max(0, shape[d] - 1)) : 0 }
            let p = a.apply(ijk), q = b.apply(ijk)
            let d = (0..<3).map { (p[$0] - q[$0]) * (p[$0] - q[$0]) }.reduce(0, +).squareRoot()
            worst = max(worst, d)
        }
        return worst
    }

    /// Compares a label (or mask) grid with its image's; throws `gridMismatch` naming the case when
    /// the difference cannot be a header error.
    static func check(image: Volume, label: Volume, labelFile: String, caseName: String, toleranceMM: Double) throws -> Verdict {
        guard image.shape == label.shape else {
            throw ConversionError.gridMismatch(case: caseName, detail:
                "image shape \(image.shape), label shape \(label.shape) ('\(labelFile)'); a label must have its image's shape")
        }
        let d = cornerDisplacement(image.affine, label.affine, shape: image.shape)
        if d <= 1e-3 { return .same }
        if d <= toleranceMM { return .headerError(d) }
        let hint = toleranceMM > 0
            ? "more than the spec's header-tolerance-mm \(toleranceMM)"
            : "the spec allows no header repair (fixes: header-tolerance-mm)"
        throw ConversionError.gridMismatch(case: caseName, detail:
            "the label '\(labelFile)' places the grid up to \(formatMM(d)) mm away from the image (\(hint)); "
            + "image orientation \(image.orientation), label \(label.orientation). Check the pair, or fix the header")
    }

    static func formatMM(_ x: Double) -> String {
        x >= 100 ? String(Int(x.rounded())) : String((x * 1000).rounded() / 1000)
    }
}
