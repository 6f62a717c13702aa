// `salt export`: a training folder -> one model file (+ label tables).
import Foundation
import Segmentation

enum ExportCommand: Command {
    static let name = "export"
    static let summary = "Write one model file from a training folder"
    static let help = """
    Usage: salt export --train-dir D --model-file F [--label-tables DIR]

    Takes D/best (else D/latest) and D/settings.json of a 'salt train' folder and writes F: a safetensors
    file with every weight under its PyTorch (MONAI DynUNet) name and, in its metadata, the tree, spacing,
    patch, orientation, intensity settings, network configuration and salt version. With --label-tables,
    DIR/itksnap_labels.txt (ITK-SNAP) and DIR/slicer_labels.ctbl (3D Slicer) describe the classes.

    Example:
      salt export --train-dir runs/ts --model-file models/ts.safetensors --label-tables models/labels
    """

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        guard let train = try arguments.option("--train-dir") else { throw UsageError("salt export: --train-dir D is required") }
        guard let file = try arguments.option("--model-file") else { throw UsageError("salt export: --model-file F is required") }
        let tables = try arguments.option("--label-tables")
        try arguments.finish()
        let written = try Exporter.run(trainDirectory: URL(fileURLWithPath: train), modelFile: URL(fileURLWithPath: file),
                                       labelTables: tables.map { URL(fileURLWithPath: $0) }, saltVersion: Salt.version)
        print("export: \(written.map(\.path).joined(separator: ", "))")
        return 0
    }
}
