// A scalar NIfTI volume in memory: its grid (shape, affine, spacing), its values (scaled, as Float) and
// the header fields needed to write it back faithfully.
//
// voxels: [ni * nj * nk] Float, i fastest, then j, then k (NIfTI's on-disk order); index(i, j, k) =
// i + ni * (j + nj * k). World coordinates: NIfTI RAS+ millimetres.

/// A 3D scalar volume (or, read with `allowingTimeSeries`, a 4D series [ni, nj, nk, nt]).
public struct Volume: Sendable {
    /// [ni, nj, nk] (a fourth entry only for a series read with `allowingTimeSeries`).
    public var shape: [Int]
    /// Values after scl_slope/scl_inter, i fastest, then j, then k.
    public var voxels: [Float]
    /// Voxel size along i, j, k in mm: the lengths of the affine's first three columns.
    public var spacing: [Double]
    /// Voxel (i, j, k) to world (NIfTI RAS+ mm), by the standard's rules.
    public var affine: Affine
    /// The on-disk datatype (of the file read, or to write by default).
    public var datatype: NIfTIDataType
    /// Label value -> name, from an XML `<LabelTable>` header extension; empty if none.
    public var labelTable: [Int: String]
    /// Axis codes of the affine, e.g. "RAS" or "LPS" (nibabel's aff2axcodes).
    public var orientation: String
    /// The header fields read (qform/sform codes, quaternion, units, intent, description, extensions).
    public var header: NIfTIHeader
    /// gzip level (1...9) used when writing .nii.gz: 1, as nibabel does. CT noise barely compresses
    /// further (`salt bench nifti`: patientB_ct 10.5 MB at level 1, 10.4 MB at 6, in twice the time).
    public static let defaultCompressionLevel = 1

    /// A new volume with a fresh header (qform and sform codes 1 = scanner, units mm).
    public init(shape: [Int], voxels: [Float], affine: Affine, datatype: NIfTIDataType = .float32,
                labelTable: [Int: String] = [:]) {
        precondition(shape.count == 3 || shape.count == 4, "a volume has 3 (or 4) dimensions, got \(shape)")
        precondition(shape.reduce(1, *) == voxels.count, "shape \(shape) needs \(shape.reduce(1, *)) voxels, got \(voxels.count)")
        self.shape = shape
        self.voxels = voxels
        self.affine = affine
        self.spacing = affine.spacing
        self.datatype = datatype
        self.labelTable = labelTable
        self.orientation = Orientation.codes(of: affine)
        var h = NIfTIHeader()
        h.qformCode = 1
        h.sformCode = 1
        h.datatypeCode = datatype.code
        self.header = h
    }

    /// Reads a scalar 3D volume from `.nii`, `.nii.gz` or a `.hdr`/`.img` pair (NIfTI-1 or -2, any
    /// scalar datatype, either byte order). A 4D file with a single volume reads as 3D; other 4D, 5D
    /// and non-scalar (RGB, complex) files throw `NIfTIError` naming the file and the problem.
    public static func read(_ path: String) throws -> Volume {
        try read(path, allowingTimeSeries: false)
    }

    /// As `read(_:)`, but with `allowingTimeSeries` a 4D file with several volumes reads with shape
    /// [ni, nj, nk, nt] (for inspection; geometry operations need 3D).
    public static func read(_ path: String, allowingTimeSeries: Bool) throws -> Volume {
        let (header, voxels, shape, datatype) = try LibNIfTI.read(path, maxDimensions: allowingTimeSeries ? 4 : 3)
        var labels: [Int: String] = [:]
        for ext in header.extensions where ext.code == 0 && LabelTable.isLabelTable(ext) {
            labels.merge(try LabelTable.parse(ext.data, path: path)) { a, _ in a }
        }
        let affine = header.standardAffine
        var v = Volume(shape: shape, voxels: voxels, affine: affine, datatype: datatype, labelTable: labels)
        v.header = header
        return v
    }

    /// Reads only the header of a NIfTI file (a `.hdr` without its `.img` reads too).
    public static func readHeader(_ path: String) throws -> NIfTIHeader {
        try LibNIfTI.readHeader(path)
    }

    /// The flat index of voxel (i, j, k).
    @inline(__always)
    public func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + shape[0] * (j + shape[1] * k) }

    /// A volume on the same grid with the same header ("like" this one), holding new values of a
    /// new on-disk type: for writing a label map or prediction beside its input. Scaling
    /// (scl_slope/scl_inter), cal_min/cal_max, intent and the label table are reset, since they
    /// described the old values; the grid, affine, qform/sform codes, quaternion, units and
    /// description are kept.
    public func with(voxels: [Float], datatype: NIfTIDataType) -> Volume {
        precondition(voxels.count == self.voxels.count, "with(voxels:) needs \(self.voxels.count) values for shape \(shape), got \(voxels.count)")
        var v = self
        v.voxels = voxels
        v.datatype = datatype
        v.labelTable = [:]
        v.header.sclSlope = 1
        v.header.sclInter = 0
        v.header.calMin = 0
        v.header.calMax = 0
        v.header.intentCode = 0
        v.header.intentP1 = 0
        v.header.intentP2 = 0
        v.header.intentP3 = 0
        v.header.intentName = ""
        v.header.datatypeCode = datatype.code
        v.header.extensions.removeAll { $0.code == 0 && LabelTable.isLabelTable($0) }
        return v
    }

    /// Writes the volume to `path` (.nii, or .nii.gz gzip-compressed), as `datatype` (default: the
    /// volume's), with the label table as an XML extension when it is not empty. Written under a
    /// temporary name in the same folder, then renamed: a failure leaves no partial file.
    public func write(to path: String, datatype: NIfTIDataType? = nil) throws {
        try write(to: path, datatype: datatype, compressionLevel: Volume.defaultCompressionLevel)
    }

    /// As `write(to:datatype:)` with a gzip level 1 (fastest) ... 9 (smallest) for .nii.gz.
    public func write(to path: String, datatype: NIfTIDataType?, compressionLevel: Int) throws {
        guard shape.reduce(1, *) == voxels.count else {
            throw NIfTIError.shapeMismatch(path: path, shape: shape, voxelCount: voxels.count)
        }
        let type = datatype ?? self.datatype
        var h = header
        // Scaling belongs to the type it was read with; any other type is written unscaled.
        let keepScaling = type == self.datatype && h.hasScaling && h.datatypeCode == type.code
        if !keepScaling { h.sclSlope = 1; h.sclInter = 0 }
        h.datatypeCode = type.code
        h.dim = [shape.count] + shape + [Int](repeating: 1, count: 7 - shape.count)
        if shape.count == 3 && header.dim[0] >= 4 && header.effectiveDims.count <= 3 {
            // A singleton fourth dimension read as 3D: keep the file 4D with one volume, as it was.
            h.dim[0] = header.dim[0]
        }
        let sp = affine.spacing
        for d in 0..<3 { h.pixdim[d + 1] = sp[d] }
        setGeometry(&h)
        var exts = h.extensions.filter { !($0.code == 0 && LabelTable.isLabelTable($0)) }
        if !labelTable.isEmpty { exts.append(NIfTIExtension(code: 0, data: LabelTable.extensionData(labelTable))) }
        let (slope, intercept) = h.scaling
        let bytes = try VoxelConversion.bytes(from: voxels, datatype: type, slope: slope, intercept: intercept, path: path)
        try LibNIfTI.write(header: h, extensions: exts, data: bytes, to: path, compressionLevel: compressionLevel)
    }

    /// Puts `affine` into the header's sform and qform. When the affine is the one the header was
    /// read with, the stored quaternion and codes stay exactly as they were; otherwise the quaternion
    /// is recomputed from the affine (its rotation part; NIfTI's qform cannot hold shear).
    private func setGeometry(_ h: inout NIfTIHeader) {
        let unchanged = h.fileAffine == affine
        if h.sformCode == 0 && h.qformCode == 0 && unchanged { return }
        if h.sformCode == 0 { h.sformCode = h.qformCode > 0 ? h.qformCode : 1 }
        h.sform = affine
        if !unchanged {
            let q = LibNIfTI.quaternion(of: affine)
            h.quaternB = q.b; h.quaternC = q.c; h.quaternD = q.d
            h.qoffsetX = q.x; h.qoffsetY = q.y; h.qoffsetZ = q.z
            h.pixdim[0] = q.qfac
            if h.qformCode == 0 && header.fileAffine == nil { h.qformCode = 1 }
        }
    }
}
