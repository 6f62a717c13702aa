// The header fields of a NIfTI file that salt keeps, so that a volume written "like" its input carries
// the same grid description, codes and text. Field meanings follow nifti1.h / nifti2.h.

/// One NIfTI header extension: its code (`ecode`, e.g. 0 for TotalSegmentator's XML label table, 6 for
/// a comment) and its raw bytes (without the 8-byte esize/ecode prefix and without padding).
public struct NIfTIExtension: Equatable, Sendable {
    public var code: Int
    public var data: [UInt8]
    public init(code: Int, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}

/// Header fields as read from a file (or defaults for a new volume).
public struct NIfTIHeader: Equatable, Sendable {
    /// 1 for NIfTI-1, 2 for NIfTI-2.
    public var version: Int = 1
    /// True for a .hdr/.img pair.
    public var isPair: Bool = false
    /// True when the file stores big-endian (most-significant byte first) values.
    public var bigEndian: Bool = false
    /// dim[0...7] as stored (dim[0] = number of dimensions).
    public var dim: [Int] = [3, 1, 1, 1, 1, 1, 1, 1]
    /// pixdim[0...7] as stored (pixdim[0] = qfac).
    public var pixdim: [Double] = [1, 1, 1, 1, 1, 1, 1, 1]
    /// The DT_* code on disk.
    public var datatypeCode: Int = 16
    public var sclSlope: Double = 1
    public var sclInter: Double = 0
    public var calMin: Double = 0
    public var calMax: Double = 0
    public var qformCode: Int = 0
    public var sformCode: Int = 0
    public var quaternB: Double = 0
    public var quaternC: Double = 0
    public var quaternD: Double = 0
    public var qoffsetX: Double = 0
    public var qoffsetY: Double = 0
    public var qoffsetZ: Double = 0
    /// The qform matrix libnifti2 builds from the quaternion (meaningful when qformCode > 0).
    public var qform: Affine = .identity
    /// The sform matrix (srow_x, srow_y, srow_z; meaningful when sformCode > 0).
    public var sform: Affine = .identity
    /// Units code (xyzt_units split): spatial and temporal NIFTI_UNITS_*.
    public var xyzUnits: Int = 2
    public var timeUnits: Int = 0
    public var intentCode: Int = 0
    public var intentP1: Double = 0
    public var intentP2: Double = 0
    public var intentP3: Double = 0
    public var intentName: String = ""
    public var descrip: String = ""
    public var auxFile: String = ""
    public var freqDim: Int = 0
    public var phaseDim: Int = 0
    public var sliceDim: Int = 0
    public var sliceCode: Int = 0
    public var sliceStart: Int = 0
    public var sliceEnd: Int = 0
    public var sliceDuration: Double = 0
    public var toffset: Double = 0
    /// Header extensions in file order (the label table extension included, as read).
    public var extensions: [NIfTIExtension] = []
    /// The affine this header yields by the standard's rules (set on reading); writing compares the
    /// volume's affine with it to decide whether the stored quaternion still describes the grid.
    public var fileAffine: Affine? = nil

    public init() {}

    /// True when scl_slope/scl_inter change the values: the standard says slope 0 means no scaling
    /// (nibabel also ignores non-finite values).
    public var hasScaling: Bool {
        sclSlope.isFinite && sclSlope != 0 && sclInter.isFinite && (sclSlope != 1 || sclInter != 0)
    }

    /// The slope and intercept to apply: (1, 0) when there is no scaling.
    public var scaling: (slope: Double, intercept: Double) {
        hasScaling ? (sclSlope, sclInter) : (1, 0)
    }

    /// The voxel-to-world affine by the standard's rules: sform when sform_code > 0, else qform when
    /// qform_code > 0, else the pixdim diagonal (method 1).
    public var standardAffine: Affine {
        if sformCode > 0 { return sform }
        if qformCode > 0 { return qform }
        return .diagonal((1...3).map { pixdim[$0] == 0 ? 1 : abs(pixdim[$0]) })
    }

    /// Which rule gave `standardAffine`.
    public var affineSource: String {
        sformCode > 0 ? "sform" : (qformCode > 0 ? "qform" : "pixdim")
    }

    /// The number of dimensions that matter: dim[0], ignoring trailing sizes of 1.
    public var effectiveDims: [Int] {
        let n = max(1, min(7, dim[0]))
        var dims = Array(dim[1...n])
        while dims.count > 3, dims.last == 1 { dims.removeLast() }
        while dims.count < 3 { dims.append(1) }
        return dims
    }

    /// Human names for NIfTI xform codes.
    public static func xformName(_ code: Int) -> String {
        switch code {
        case 0: return "unknown"
        case 1: return "scanner"
        case 2: return "aligned"
        case 3: return "talairach"
        case 4: return "mni"
        case 5: return "template"
        default: return "code \(code)"
        }
    }
}
