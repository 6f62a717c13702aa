import Foundation

/// Everything that fixes a DynUNet's architecture (and so its parameter names and shapes).
/// Saved as JSON beside checkpoints. Kernels and strides have one [d, h, w] triple per level; level 0
/// has stride 1. `filters[i]` is the channel count of level i.
public struct DynUNetConfiguration: Codable, Equatable, Sendable {
    public var inChannels: Int
    public var outChannels: Int
    public var kernels: [[Int]]
    public var strides: [[Int]]
    public var filters: [Int]
    /// Extra 1x1x1 output heads on the upsampling path below full resolution (MONAI's deep_supr_num;
    /// 0 = off). Head k reads level k + 1.
    public var deepSupervisionHeads: Int
    /// The patch the plan was made for (informational; any size divisible by the total stride works).
    public var patch: [Int]?
    public var spacing: [Double]?

    public init(inChannels: Int, outChannels: Int, kernels: [[Int]], strides: [[Int]], filters: [Int]? = nil,
                deepSupervisionHeads: Int = 0, patch: [Int]? = nil, spacing: [Double]? = nil) throws {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernels = kernels
        self.strides = strides
        self.filters = filters ?? Self.defaultFilters(levels: strides.count)
        self.deepSupervisionHeads = deepSupervisionHeads
        self.patch = patch
        self.spacing = spacing
        try validate()
    }

    /// SALT's network for a patch and spacing: the kernel/stride plan of `plan(patch:spacing:)`,
    /// filters min(32 * 2^i, 320) unless given (e.g. `widths(base: 8, ...)` for a small network).
    public init(patch: [Int], spacing: [Double], inChannels: Int = 1, outChannels: Int, filters: [Int]? = nil,
                deepSupervisionHeads: Int = 0) throws {
        let (k, s) = try Self.plan(patch: patch, spacing: spacing)
        try self.init(inChannels: inChannels, outChannels: outChannels, kernels: k, strides: s, filters: filters,
                      deepSupervisionHeads: deepSupervisionHeads, patch: patch, spacing: spacing)
    }

    /// MONAI DynUNet's default: min(2^(5+i), 320).
    public static func defaultFilters(levels: Int) -> [Int] { (0..<levels).map { min(32 << $0, 320) } }

    /// min(base * 2^i, cap) for each level.
    public static func widths(base: Int, levels: Int, cap: Int = 320) -> [Int] { (0..<levels).map { min(base << $0, cap) } }

    public var levels: Int { strides.count }

    /// SALT's `_get_kernels_strides` (salt/train.py; the nnU-Net rule from MONAI's dynunet_pipeline):
    /// halve an axis while its spacing is within 2x of the finest and its size is at least 8; an axis
    /// whose spacing is more than 2x the finest gets kernel 1. The first level has stride 1 and the
    /// bottleneck kernel 3. Throws when a halved axis has an odd size (SALT's ValueError).
    public static func plan(patch: [Int], spacing: [Double]) throws -> (kernels: [[Int]], strides: [[Int]]) {
        guard patch.count == spacing.count, !patch.isEmpty else {
            throw NetworkError.invalidConfiguration("patch \(patch) and spacing \(spacing) need the same number of axes")
        }
        guard spacing.allSatisfy({ $0 > 0 }), patch.allSatisfy({ $0 > 0 }) else {
            throw NetworkError.invalidConfiguration("patch \(patch) and spacing \(spacing) must be positive")
        }
        var sizes = patch.map(Double.init), spacings = spacing
        var kernels: [[Int]] = [], strides: [[Int]] = []
        while true {
            let finest = spacings.min()!
            let ratio = spacings.map { $0 / finest }
            let stride = zip(ratio, sizes).map { $0 <= 2 && $1 >= 8 ? 2 : 1 }
            let kernel = ratio.map { $0 <= 2 ? 3 : 1 }
            if stride.allSatisfy({ $0 == 1 }) { break }
            for (axis, (size, s)) in zip(sizes, stride).enumerated() where size.truncatingRemainder(dividingBy: Double(s)) != 0 {
                throw NetworkError.invalidPatch(patch: patch, axis: axis, reason: "reaches size \(size), which cannot be halved")
            }
            sizes = zip(sizes, stride).map { $0 / Double($1) }
            spacings = zip(spacings, stride).map { $0 * Double($1) }
            kernels.append(kernel)
            strides.append(stride)
        }
        strides.insert(Array(repeating: 1, count: spacing.count), at: 0)
        kernels.append(Array(repeating: 3, count: spacing.count))
        return (kernels, strides)
    }

    func validate() throws {
        guard levels >= 2 else { throw NetworkError.invalidConfiguration("a DynUNet needs at least 2 levels, got strides \(strides)") }
        guard kernels.count == levels, filters.count == levels else {
            throw NetworkError.invalidConfiguration("kernels (\(kernels.count)), strides (\(levels)) and filters (\(filters.count)) need one entry per level")
        }
        guard kernels.allSatisfy({ $0.count == 3 && $0.allSatisfy { $0 % 2 == 1 } }), strides.allSatisfy({ $0.count == 3 && $0.allSatisfy { $0 >= 1 } }) else {
            throw NetworkError.invalidConfiguration("kernels \(kernels) must be odd triples and strides \(strides) positive triples")
        }
        guard inChannels > 0, outChannels > 0, filters.allSatisfy({ $0 > 0 }) else {
            throw NetworkError.invalidConfiguration("channel counts must be positive (in \(inChannels), out \(outChannels), filters \(filters))")
        }
        guard deepSupervisionHeads >= 0, deepSupervisionHeads <= levels - 2 else {
            throw NetworkError.invalidConfiguration("deepSupervisionHeads \(deepSupervisionHeads) must be in 0...\(levels - 2)")
        }
    }

    /// The product of strides per axis: patch sizes must be multiples of it.
    public var totalStride: [Int] { (0..<3).map { a in strides.reduce(1) { $0 * $1[a] } } }

    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    public static func from(jsonData: Data, path: String = "<config>") throws -> DynUNetConfiguration {
        let c: DynUNetConfiguration
        do { c = try JSONDecoder().decode(DynUNetConfiguration.self, from: jsonData) } catch {
            throw NetworkError.checkpointUnreadable(path: path, reason: "config JSON: \(error)")
        }
        try c.validate()
        return c
    }
}
