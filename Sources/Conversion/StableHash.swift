// FNV-1a over UTF-8 bytes: a hash that is the same on every run and machine (Swift's `hashValue` is
// seeded per process and must never decide a split).

enum StableHash {
    static func fnv1a64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// A number in [0, 1) fixed by the text. FNV's high bits change little between names differing in
    /// their last character, so SplitMix64's finaliser mixes them first.
    static func unitInterval(_ text: String) -> Double {
        var z = fnv1a64(text)
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        z ^= z >> 31
        return Double(z >> 11) / Double(UInt64(1) << 53)
    }
}
