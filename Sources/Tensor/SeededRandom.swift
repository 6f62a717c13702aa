// The one seeded generator of salt's compute side (SplitMix64; Steele, Lea & Flood 2014): weight
// initialisation, patch sampling, augmentation and tests. The same seed gives the same numbers on every
// machine and launch, which is what "same seed, same model" needs.
import Foundation

public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [0, 1) with 53 random bits (the name sampling code reads best with).
    public mutating func nextDouble() -> Double { uniform() }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double { lower + (upper - lower) * uniform() }

    /// Uniform integer in 0..<n (n > 0), by rejection so every value is equally likely.
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "int(below: \(n))")
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        var x = next()
        while x >= limit { x = next() }
        return Int(x % bound)
    }

    /// A generator for an independent stream derived from this seed and `stream` (e.g. an epoch).
    public func split(_ stream: UInt64) -> SeededRandom {
        var g = SeededRandom(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
        _ = g.next()
        return g
    }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 0x1.0p-60), u2 = uniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// A tensor of normal values with the given standard deviation.
    public mutating func normalTensor(_ shape: [Int], std: Double = 1) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t.storage[i] = Float(normal() * std) }
        return t
    }
}

@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
