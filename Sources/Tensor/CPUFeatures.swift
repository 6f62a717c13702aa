// Whether this CPU runs code built for `-target-cpu haswell` (the FastKernels target): read the kernel's
// flags once from /proc/cpuinfo (Swift has no CPUID intrinsic). This check lives in Tensor, which is built
// for the baseline x86-64, because code in FastKernels may itself use AVX2 and so cannot ask safely.
#if canImport(Glibc)
import Glibc
#endif

public enum CPUFeatures {
    /// True when every processor advertises `avx2` and `fma` (and the OS saves the AVX state, which
    /// Linux implies when it lists `avx`). False when /proc/cpuinfo cannot be read or the variable
    /// SALT_NO_FAST_KERNELS is set (to force the portable path, e.g. for comparisons).
    public static let hasAVX2FMA: Bool = {
        #if canImport(Glibc) && arch(x86_64)
        if getenv("SALT_NO_FAST_KERNELS") != nil { return false }
        guard let text = readSmallFile("/proc/cpuinfo") else { return false }
        var sawFlags = false
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            sawFlags = true
            let flags = Set(line.split(separator: ":", maxSplits: 1).last?.split(separator: " ").map(String.init) ?? [])
            if !(flags.contains("avx2") && flags.contains("fma") && flags.contains("avx")) { return false }
        }
        return sawFlags
        #else
        return false
        #endif
    }()

    #if canImport(Glibc)
    private static func readSmallFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 65536, f) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    #endif
}
