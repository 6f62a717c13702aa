// The seeded random source of the segmentation workflow (patch sampling, augmentation, shuffling).

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, seedable generator; the same seed gives the same
/// stream on every machine, which is what "same seed, same model" needs.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double { lower + (upper - lower) * nextDouble() }

    /// Uniform integer in 0..<n (n > 0), by rejection so every value is equally likely.
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "int(below: \(n))")
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        var x = next()
        while x >= limit { x = next() }
        return Int(x % bound)
    }

    /// A generator for an independent stream derived from this seed and `stream` (e.g. an epoch or worker).
    public func split(_ stream: UInt64) -> SplitMix64 {
        var g = SplitMix64(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
        _ = g.next()
        return g
    }
}
