// Every error the NIfTI module throws. Each names the file and says what is wrong and what to do.

/// Errors from reading, writing and checking NIfTI volumes.
public enum NIfTIError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but cannot be opened or read (permissions, a directory, an I/O error).
    case unreadable(path: String, reason: String)
    /// The file is not a NIfTI-1 or NIfTI-2 file (wrong header size or magic).
    case notNIfTI(path: String, detail: String)
    /// The file ends before the header or the voxel data does.
    case truncated(path: String, what: String, expectedBytes: Int, gotBytes: Int)
    /// The gzip stream cannot be decompressed (corrupt data, bad checksum, cut short).
    case corruptCompression(path: String, detail: String)
    /// A `.hdr` whose `.img` is missing.
    case missingImageFile(header: String, tried: [String])
    /// A datatype that is not a single scalar (RGB, complex, binary, float128) or is unknown.
    case unsupportedDatatype(path: String, code: Int, name: String)
    /// More dimensions than a scalar 3D volume (5D, vector-valued, or 4D with several volumes).
    case notScalarVolume(path: String, dims: [Int], detail: String)
    /// Header fields that make no sense (negative sizes, zero dimensions).
    case invalidHeader(path: String, detail: String)
    /// A malformed `<LabelTable>` extension.
    case invalidLabelTable(path: String, detail: String)
    /// libnifti2 reported a failure.
    case library(path: String, function: String, detail: String)
    /// An output name that is neither `.nii` nor `.nii.gz`.
    case unsupportedOutputName(path: String)
    /// A voxel value that the chosen on-disk datatype cannot hold.
    case valueOutOfRange(path: String, value: Float, index: Int, datatype: NIfTIDataType)
    /// Writing failed (disk full, permissions); no partial file is left under the final name.
    case writeFailed(path: String, function: String, detail: String)
    /// The voxel count does not match the shape.
    case shapeMismatch(path: String, shape: [Int], voxelCount: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "\(p): no such file; check the path (NIfTI files end in .nii, .nii.gz or .hdr/.img)"
        case .unreadable(let p, let reason):
            return "\(p): cannot be read: \(reason)"
        case .notNIfTI(let p, let detail):
            return "\(p): not a NIfTI-1 or NIfTI-2 file: \(detail)"
        case .truncated(let p, let what, let expected, let got):
            return "\(p): file is truncated: the \(what) needs \(expected) bytes but only \(got) could be read; the file was cut short (copy or download it again)"
        case .corruptCompression(let p, let detail):
            return "\(p): the gzip data is corrupt: \(detail); the file was damaged (copy or download it again, or check it with 'gzip -t')"
        case .missingImageFile(let h, let tried):
            return "\(h): header-only file: its voxel data file is missing (looked for \(tried.joined(separator: ", "))); put the .img beside the .hdr"
        case .unsupportedDatatype(let p, let code, let name):
            return "\(p): datatype \(name) (code \(code)) is not a scalar type salt reads; convert it to a scalar integer or float volume (e.g. one channel of an RGB image)"
        case .notScalarVolume(let p, let dims, let detail):
            return "\(p): not a scalar 3D volume (dimensions \(dims.map(String.init).joined(separator: "x"))): \(detail)"
        case .invalidHeader(let p, let detail):
            return "\(p): invalid NIfTI header: \(detail)"
        case .invalidLabelTable(let p, let detail):
            return "\(p): the <LabelTable> header extension is malformed: \(detail)"
        case .library(let p, let function, let detail):
            return "\(p): libnifti2 \(function) failed: \(detail)"
        case .unsupportedOutputName(let p):
            return "\(p): output name must end in .nii or .nii.gz"
        case .valueOutOfRange(let p, let value, let index, let datatype):
            return "\(p): voxel \(index) has value \(value), which \(datatype) cannot hold; write with a wider datatype (e.g. float32)"
        case .writeFailed(let p, let function, let detail):
            return "\(p): writing failed in \(function): \(detail); nothing was written under this name"
        case .shapeMismatch(let p, let shape, let count):
            return "\(p): shape \(shape) needs \(shape.reduce(1, *)) voxels but the volume has \(count)"
        }
    }
}
