// Eight-lane float helpers for the block kernels (SIMD8<Float>; two SSE registers on baseline x86-64).
// Blocks are a multiple of 8 voxels, so kernels run on whole vectors with no tail loop. Only operations
// that lower to vector instructions are used: generic SIMD conversions (Float <-> Int32 with a rounding
// rule) and pointwiseMin/Max become scalar calls, so rounding uses the 1.5 * 2^23 trick and min/max use
// compare-and-select.

typealias Vec8 = SIMD8<Float>

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> Vec8 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec8.self)
}

@inline(__always) func store8(_ v: Vec8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec8.self)
}

@inline(__always) func max8(_ a: Vec8, _ b: Vec8) -> Vec8 { a.replacing(with: b, where: b .> a) }

/// e^x per lane (Cephes expf: x = n ln 2 + r with |r| <= ln2/2, degree-6 polynomial for e^r, times 2^n;
/// relative error ~2e-7). Inputs are clamped to [-87.3, 88]: results below e^-87.3 (1.2e-38) come out
/// as that instead of 0, which no caller can tell from 0 at float precision.
@inline(__always) func exp8(_ input: Vec8) -> Vec8 {
    let lo = Vec8(repeating: -87.3365), hi = Vec8(repeating: 88.0)
    var x = input.replacing(with: lo, where: input .< lo)
    x = x.replacing(with: hi, where: x .> hi)
    // n = round(x / ln 2): adding 1.5 * 2^23 leaves round(v) in the low mantissa bits.
    let magic = Vec8(repeating: 12582912.0)
    let shifted = x * 1.44269504088896341 + magic
    let nf = shifted - magic
    let n = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    x = x - nf * 0.693359375 + nf * 2.12194440e-4
    let z = x * x
    var y = Vec8(repeating: 1.9875691500e-4)
    y = y * x + 1.3981999507e-3
    y = y * x + 8.3334519073e-3
    y = y * x + 4.1665795894e-2
    y = y * x + 1.6666665459e-1
    y = y * x + 5.0000001201e-1
    y = y * z + x + 1
    let pow2n = unsafeBitCast((n &+ 127) &<< 23, to: Vec8.self)
    return y * pow2n
}
