// Intensity normalisation by modality, recorded in the model file so prediction repeats it exactly.

/// How image values become network inputs.
public enum IntensityNormalization: Codable, Equatable, Sendable, CustomStringConvertible {
    /// CT in Hounsfield units: clip to [low, high], then map linearly to [0, 1] (SALT: [-1024, 1024]).
    case clip(low: Double, high: Double)
    /// Any other modality: subtract the image's mean and divide by its standard deviation (per image, as
    /// nnU-Net does for MR), so no scanner-specific numbers are baked into the model.
    case zScore

    /// SALT's CT setting.
    public static let ct = IntensityNormalization.clip(low: -1024, high: 1024)

    /// Parses "ct", "zscore" or "clip:LOW:HIGH".
    public init?(name: String) {
        let s = name.lowercased()
        if s == "ct" { self = .ct; return }
        if s == "zscore" || s == "z-score" { self = .zScore; return }
        let parts = s.split(separator: ":")
        if parts.count == 3, parts[0] == "clip", let lo = Double(parts[1]), let hi = Double(parts[2]), hi > lo {
            self = .clip(low: lo, high: hi)
            return
        }
        return nil
    }

    public var description: String {
        switch self {
        case .clip(let lo, let hi): return lo == -1024 && hi == 1024 ? "ct" : "clip:\(lo):\(hi)"
        case .zScore: return "zscore"
        }
    }

    /// Normalises `values` in place.
    public func apply(_ values: inout [Float]) {
        switch self {
        case .clip(let lo, let hi):
            let l = Float(lo), scale = Float(1 / (hi - lo))
            for i in values.indices { values[i] = (min(max(values[i], l), Float(hi)) - l) * scale }
        case .zScore:
            guard !values.isEmpty else { return }
            var sum = 0.0, sumSquares = 0.0
            for v in values { sum += Double(v); sumSquares += Double(v) * Double(v) }
            let mean = sum / Double(values.count)
            let variance = max(sumSquares / Double(values.count) - mean * mean, 0)
            let std = Float(max(variance.squareRoot(), 1e-8)), m = Float(mean)
            for i in values.indices { values[i] = (values[i] - m) / std }
        }
    }

    /// The value padding takes (what air / background becomes): 0 for CT clipping (HU <= low), 0 for z-score.
    public var paddingValue: Float { 0 }
}
