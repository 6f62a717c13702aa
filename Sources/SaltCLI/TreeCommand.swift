// `salt tree DATA_DIR [--output-dir DIR]`: the merged label tree of the datasets under a data root.
import Foundation
import Labels

enum TreeCommand: Command {
    static let name = "tree"
    static let summary = "Show the merged label tree of a data root; write it as JSON and colour tables"
    static let help = """
    Usage: salt tree DATA_DIR [--output-dir DIR] [--dataset DIR ...]
           salt tree --data-dir DATA_DIR ...      (the form a pipeline's `uses: tree` stage runs)

    Finds every dataset under DATA_DIR in SALT's layout (<dataset>/labels.txt, <dataset>/tree-labels.txt,
    optional <dataset>/{train,val,test}/{images,labels}/*.nii.gz, and DATA_DIR/tree-additional-labels.txt
    for sink nodes), merges their trees in SALT's class order and prints it as an indented outline with the
    datasets that annotate each node.

    Options:
      --output-dir DIR   also write DIR/tree.json (classes, adjacency, each dataset's value -> class table
                         and annotated mask), DIR/itksnap_labels.txt (ITK-SNAP label descriptions) and
                         DIR/slicer_labels.ctbl (3D Slicer colour table)
      --dataset DIR      use these dataset folders instead of searching DATA_DIR (repeatable; DATA_DIR is
                         then optional and only supplies tree-additional-labels.txt)

    Example:
      salt tree labels --output-dir runs/tree
    """

    struct Options {
        var dataDir: String?
        var datasets: [String]
        var outputDir: String?
    }

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        let output = try arguments.option("--output-dir")
        let datasets = try arguments.options("--dataset")
        let positional = try arguments.options("--data-dir") + arguments.positionals()
        guard positional.count <= 1, !(positional.isEmpty && datasets.isEmpty) else {
            throw UsageError("salt tree: give one DATA_DIR (or --dataset folders); see 'salt tree --help'")
        }
        try arguments.finish()
        print(try run(Options(dataDir: positional.first, datasets: datasets, outputDir: output)), terminator: "")
        return 0
    }

    /// Builds the tree and returns the text to print.
    static func run(_ options: Options) throws -> String {
        let set: LabelSet
        if options.datasets.isEmpty {
            set = try LabelSet.discover(root: URL(fileURLWithPath: options.dataDir!))
        } else {
            let extra = options.dataDir.map { URL(fileURLWithPath: $0).appendingPathComponent("tree-additional-labels.txt") }
            set = try LabelSet.load(datasets: options.datasets.map { URL(fileURLWithPath: $0) },
                                    additionalLabels: extra.flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil })
        }
        var text = set.outline()
        if let dir = options.outputDir {
            for url in try set.write(to: URL(fileURLWithPath: dir)) { text += "wrote \(url.path)\n" }
        }
        return text
    }
}
