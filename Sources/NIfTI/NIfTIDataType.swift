// The scalar on-disk datatypes salt reads and writes (NIfTI-1 DT_* codes).

/// A scalar NIfTI datatype. Raw values on disk are of this type; `Volume.voxels` holds them after
/// scl_slope/scl_inter as Float.
public enum NIfTIDataType: String, CaseIterable, Sendable, CustomStringConvertible {
    case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64

    /// The NIfTI `datatype` code (nifti1.h DT_*).
    public var code: Int {
        switch self {
        case .uint8: return 2
        case .int16: return 4
        case .int32: return 8
        case .float32: return 16
        case .float64: return 64
        case .int8: return 256
        case .uint16: return 512
        case .uint32: return 768
        case .int64: return 1024
        case .uint64: return 1280
        }
    }

    /// Bytes per voxel.
    public var byteSize: Int {
        switch self {
        case .uint8, .int8: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        }
    }

    public var isInteger: Bool { self != .float32 && self != .float64 }

    /// The smallest and largest raw value (integers only; floats give +-infinity).
    public var range: ClosedRange<Double> {
        switch self {
        case .uint8: return 0...255
        case .int8: return -128...127
        case .uint16: return 0...65535
        case .int16: return -32768...32767
        case .uint32: return 0...4294967295
        case .int32: return -2147483648...2147483647
        // The largest Doubles below 2^64 and 2^63 (Float voxels cannot hold more precision anyway).
        case .uint64: return 0...18446744073709549568
        case .int64: return -9223372036854775808...9223372036854774784
        case .float32, .float64: return -Double.infinity...Double.infinity
        }
    }

    public init?(code: Int) {
        guard let t = NIfTIDataType.allCases.first(where: { $0.code == code }) else { return nil }
        self = t
    }

    /// Names of the DT_* codes salt does not read, for error messages.
    public static func name(ofCode code: Int) -> String {
        if let t = NIfTIDataType(code: code) { return t.rawValue }
        switch code {
        case 0: return "unknown"
        case 1: return "binary"
        case 32: return "complex64"
        case 128: return "RGB24"
        case 1536: return "float128"
        case 1792: return "complex128"
        case 2048: return "complex256"
        case 2304: return "RGBA32"
        default: return "code \(code)"
        }
    }

    public var description: String { rawValue }
}
