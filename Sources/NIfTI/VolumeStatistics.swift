// Value statistics of a volume, accumulated in Double (sums over millions of Float voxels lose
// precision in Float).

/// Statistics over a volume's values. NaN voxels are counted and left out of the others.
public struct VolumeStatistics: Sendable, Equatable {
    public var count: Int
    public var nanCount: Int
    /// Smallest and largest value that is not NaN (nil when every voxel is NaN).
    public var min: Double?
    public var max: Double?
    public var sum: Double
    public var sumOfSquares: Double
    public var nonzeroCount: Int
    /// Mean and population standard deviation over the non-NaN values.
    public var mean: Double
    public var standardDeviation: Double
    /// Voxel count per value, when every value is a whole number and there are at most
    /// `maxDistinctValues` of them (label maps); nil otherwise.
    public var valueCounts: [Int: Int]?

    public static let maxDistinctValues = 1024

    public init(_ voxels: [Float]) {
        var nan = 0, nonzero = 0
        var lo = Double.infinity, hi = -Double.infinity
        var s = 0.0, s2 = 0.0
        var counts: [Int: Int]? = [:]
        for x in voxels {
            if x.isNaN { nan += 1; continue }
            let v = Double(x)
            if v < lo { lo = v }
            if v > hi { hi = v }
            s += v
            s2 += v * v
            if v != 0 { nonzero += 1 }
            if counts != nil {
                if v == v.rounded() && abs(v) < 1e9 {
                    counts![Int(v), default: 0] += 1
                    if counts!.count > VolumeStatistics.maxDistinctValues { counts = nil }
                } else {
                    counts = nil
                }
            }
        }
        let n = voxels.count - nan
        count = voxels.count
        nanCount = nan
        min = n > 0 ? lo : nil
        max = n > 0 ? hi : nil
        sum = s
        sumOfSquares = s2
        nonzeroCount = nonzero
        mean = n > 0 ? s / Double(n) : .nan
        standardDeviation = n > 0 ? Swift.max(0, s2 / Double(n) - mean * mean).squareRoot() : .nan
        valueCounts = n > 0 ? counts : nil
    }
}
