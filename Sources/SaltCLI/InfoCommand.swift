// `salt info FILE...`: a NIfTI header summary (shape, datatype, spacing, orientation, affine, value
// range, label names) for people, or JSON for scripts.
import Foundation
import NIfTI

enum InfoCommand: Command {
    static let name = "info"
    static let summary = "Summarise NIfTI files: shape, datatype, spacing, orientation, affine, values, labels"
    static let help = """
    Usage: salt info [--json] FILE...

    Prints what each NIfTI file (.nii, .nii.gz, .hdr/.img; NIfTI-1 or NIfTI-2) holds: shape, on-disk
    datatype, voxel spacing (mm), orientation codes (RAS, LPS, ...; nibabel's convention), the
    voxel-to-world affine and where it comes from (sform, qform or pixdim), scaling, value statistics,
    and the label names of an XML <LabelTable> extension with their voxel counts.

    Options:
      --json    one JSON array with an object per file (unreadable files as {"file", "error"})

    Exit status: 0 when every file was read, 1 otherwise (each problem is printed on stderr).

    Example:
      salt info ct.nii.gz segmentation.nii.gz
    """

    struct Options {
        var files: [String]
        var json: Bool
    }

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        let json = arguments.flag("--json")
        let options = Options(files: try arguments.positionals(), json: json)
        try arguments.finish()
        guard !options.files.isEmpty else { throw UsageError("salt info: name at least one NIfTI file; see 'salt info --help'") }
        let (output, failures) = VolumeSummary.report(paths: options.files, json: options.json)
        if !output.isEmpty { print(output) }
        for failure in failures {
            FileHandle.standardError.write(Data("salt info: error: \(failure.error)\n".utf8))
        }
        return failures.isEmpty ? 0 : 1
    }
}
