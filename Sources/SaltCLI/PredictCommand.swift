// `salt predict`: a model file and NIfTI images in, class maps in each input's own grid out.
import Foundation
import Segmentation

enum PredictCommand: Command {
    static let name = "predict"
    static let summary = "Segment NIfTI images with an exported model"
    static let help = """
    Usage: salt predict --model-file F --input PATH --output-dir O [--nodes a,b] [--probabilities] [--lcc]

    Segments one NIfTI file or every .nii/.nii.gz file of a folder: reorients to the model's orientation,
    resamples to its spacing, normalises intensities as in training, runs the network by sliding window
    (overlap and Gaussian weighting of the model file, streamed slab by slab so memory stays bounded),
    takes the most probable leaf of the tree, and writes the class map resampled back onto the input's
    own grid with its header (value = class index; tree.json, itksnap_labels.txt and slicer_labels.ctbl
    beside the outputs name them), plus times.csv with per-case seconds.

    Options:
      --model-file F      model file written by 'salt export'
      --input PATH        a NIfTI file or a folder of them
      --output-dir O      where <case>.nii.gz and the tables go
      --nodes a,b         also write a 0/1 mask per node (masks/<case>_<node>.nii.gz); a node is a path
                          ('body>abdominal_cavity>kidneys') or a unique last part ('kidneys')
      --probabilities     also write probability maps (probabilities/), of --nodes or of every class
      --lcc               keep only each structure's largest connected component

    Example:
      salt predict --model-file runs/ts/model.salt --input scans/ --output-dir runs/ts/pred --nodes liver,kidneys --lcc
    """

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        guard let modelFile = try arguments.option("--model-file") else { throw UsageError("salt predict: --model-file F is required") }
        guard let input = try arguments.option("--input") else { throw UsageError("salt predict: --input PATH is required") }
        guard let output = try arguments.option("--output-dir") else { throw UsageError("salt predict: --output-dir O is required") }
        var options = Predictor.Options(input: URL(fileURLWithPath: input), outputDirectory: URL(fileURLWithPath: output))
        options.nodes = try arguments.option("--nodes").map { $0.split(separator: ",").map(String.init) } ?? []
        options.probabilities = arguments.flag("--probabilities")
        options.largestComponent = arguments.flag("--lcc")
        try arguments.finish()
        let model = try SaltModel.load(modelFile)
        let timings = try Predictor.run(model: model, options: options)
        let total = timings.reduce(0) { $0 + $1.total }
        print(String(format: "predict: %d case(s) in %.1f s -> %@", timings.count, total, output))
        return 0
    }
}
