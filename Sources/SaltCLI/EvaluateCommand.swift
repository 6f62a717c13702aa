// `salt evaluate`: predictions against a dataset's labels, per case and tree node.
import Foundation
import Segmentation

enum EvaluateCommand: Command {
    static let name = "evaluate"
    static let summary = "Score predictions against a dataset's labels per case and tree node"
    static let help = """
    Usage: salt evaluate --predictions DIR --data-dir DATASET_DIR --output-dir O [--tolerances 1,2,3] [--include-background]

    Scores every prediction in DIR (class maps written by 'salt predict', with tree.json beside them)
    against the label of the same name under DATASET_DIR (<dataset>/<split>/labels/), on every tree node
    the dataset annotates (a node's mask is the union of its leaves): tp, fp, fn, Dice, precision, recall,
    HD95, average surface distance both ways, surface Dice at each tolerance (mm). Reference voxels of
    value 255 are ignored. Empty structures never put a NaN into a mean: Dice is 0 when exactly one of
    reference and prediction is empty and undefined when both are; distances are undefined when either is.

    Options:
      --predictions DIR      folder of predicted class maps (.nii.gz) and tree.json
      --data-dir DIR         a dataset folder (with tree-labels.txt) or a data root holding several
      --output-dir O         where metrics.csv (long format), summary.csv and report.md go
      --tolerances LIST      surface Dice tolerances in mm (default 1,2,3)
      --include-background   also score the class named 'background'

    Example:
      salt evaluate --predictions runs/ts/pred --data-dir data/word --output-dir runs/ts/eval
    """

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        guard let predictions = try arguments.option("--predictions") else { throw UsageError("salt evaluate: --predictions DIR is required") }
        guard let data = try arguments.option("--data-dir") else { throw UsageError("salt evaluate: --data-dir DIR is required") }
        guard let output = try arguments.option("--output-dir") else { throw UsageError("salt evaluate: --output-dir DIR is required") }
        var options = Evaluator.Options(predictions: URL(fileURLWithPath: predictions), dataDirectory: URL(fileURLWithPath: data),
                                        outputDirectory: URL(fileURLWithPath: output))
        options.tolerances = try arguments.doubles("--tolerances", default: options.tolerances)
        options.includeBackground = arguments.flag("--include-background")
        try arguments.finish()
        let result = try Evaluator.run(options)
        print("evaluate: \(Set(result.records.map(\.caseName)).count) case(s), \(result.records.count) (case, node) scores -> \(result.outputs.map(\.path).joined(separator: ", "))")
        return 0
    }
}
