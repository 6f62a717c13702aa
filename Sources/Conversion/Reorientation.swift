// Brings a volume to a canonical orientation by permuting and flipping its voxel axes (no interpolation,
// lossless) and adjusting the affine so every voxel keeps its world position. The converter writes every
// dataset in one orientation (`ConversionOptions.orientation`, SALT's LPI by default), so KiTS19's
// slice-axis-first arrays and LiTS's flipped ones come out alike: the affine, never the array order,
// decides which way is which.
import NIfTI

enum Reorientation {
    /// The permutation and flips taking `affine`'s axes to `target` codes ("LPI").
    struct Plan: Equatable {
        /// For each output axis, the source axis it reads.
        var source: [Int]
        /// For each output axis, whether it runs backwards through its source axis.
        var flip: [Bool]
        var isIdentity: Bool { source == [0, 1, 2] && flip == [false, false, false] }
    }

    static func plan(affine: Affine, target: String) throws -> Plan {
        guard let want = Orientation.parse(target) else {
            throw ConversionError.invalidOption("orientation '\(target)' is not three axis codes such as LPI or RAS")
        }
        let have = Orientation.axes(of: affine)
        var source = [0, 0, 0], flip = [false, false, false]
        for t in 0..<3 {
            guard let a = have.firstIndex(where: { $0?.worldAxis == want[t].worldAxis }), let axis = have[a] else {
                throw ConversionError.invalidOption("the affine has a degenerate axis (orientation \(Orientation.codes(of: affine)))")
            }
            source[t] = a
            flip[t] = axis.sign != want[t].sign
        }
        return Plan(source: source, flip: flip)
    }

    /// Values of a grid of `shape` rearranged by `plan`, and the new shape.
    static func apply<T>(_ plan: Plan, to values: [T], shape: [Int]) -> (values: [T], shape: [Int]) {
        if plan.isIdentity { return (values, shape) }
        let strides = [1, shape[0], shape[0] * shape[1]]
        let outShape = plan.source.map { shape[$0] }
        // Source offset and step for each output axis.
        var start = 0
        var step = [0, 0, 0]
        for t in 0..<3 {
            let a = plan.source[t]
            step[t] = plan.flip[t] ? -strides[a] : strides[a]
            if plan.flip[t] { start += (shape[a] - 1) * strides[a] }
        }
        var out = [T]()
        out.reserveCapacity(values.count)
        for k in 0..<outShape[2] {
            let baseK = start + k * step[2]
            for j in 0..<outShape[1] {
                var p = baseK + j * step[1]
                for _ in 0..<outShape[0] { out.append(values[p]); p += step[0] }
            }
        }
        return (out, outShape)
    }

    /// The affine of the rearranged grid: voxel (t0, t1, t2) of the output is voxel
    /// src[a] = flip ? n_a - 1 - t : t of the input.
    static func affine(_ plan: Plan, of affine: Affine, shape: [Int]) -> Affine {
        var p = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        p[3][3] = 1
        for t in 0..<3 {
            let a = plan.source[t]
            p[a][t] = plan.flip[t] ? -1 : 1
            if plan.flip[t] { p[a][3] = Double(shape[a] - 1) }
        }
        return affine * Affine(p)
    }
}
