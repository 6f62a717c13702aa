// `salt evaluate`: predictions (class maps written by `salt predict`, with tree.json beside them) against
// a dataset's reference labels, per case and per annotated tree node.
import Foundation
import Labels
import NIfTI

/// Evaluates a folder of predictions against the labels of one dataset folder (or of every dataset
/// under a data root), writing metrics.csv (long format), summary.csv and report.md.
public struct Evaluator {
    public struct Options: Sendable {
        public var predictions: URL
        public var dataDirectory: URL
        public var outputDirectory: URL
        /// Surface Dice tolerances in mm.
        public var tolerances: [Double] = StructureMetrics.defaultTolerances
        /// Evaluate the class named "background" too (off: it is the complement of everything, not a structure).
        public var includeBackground = false

        public init(predictions: URL, dataDirectory: URL, outputDirectory: URL) {
            self.predictions = predictions
            self.dataDirectory = dataDirectory
            self.outputDirectory = outputDirectory
        }
    }

    public struct Result: Sendable {
        public var records: [EvaluationRecord]
        /// Files written.
        public var outputs: [URL]
        /// Labelled cases that had no prediction.
        public var unpredicted: [String]
    }

    /// Runs the evaluation; `log` gets one line per case.
    public static func run(_ options: Options, log: (String) -> Void = { print($0) }) throws -> Result {
        let treeURL = options.predictions.appendingPathComponent(TreeFile.name)
        guard FileManager.default.fileExists(atPath: treeURL.path) else {
            throw SegmentationError.missing(path: treeURL.path,
                                            what: "the model's class list (salt predict writes tree.json beside its predictions)")
        }
        let tree = try TreeFile.read(treeURL)
        let predictions = try NIfTIFiles.list(options.predictions, what: "predictions")
        let references = try ReferenceLabels.find(under: options.dataDirectory, tree: tree)
        for d in references.datasets where !d.unknownPaths.isEmpty {
            log("evaluate: \(d.name): \(d.unknownPaths.count) labelled structure(s) are not in the model's tree and are ignored: \(d.unknownPaths.joined(separator: "; "))")
        }

        var records: [EvaluationRecord] = []
        var used = Set<String>()
        for (n, predictionURL) in predictions.enumerated() {
            let name = NIfTIFiles.caseName(predictionURL)
            guard let matches = references.cases[name], !matches.isEmpty else {
                throw SegmentationError.unmatchedCase(caseName: name, file: predictionURL.path,
                                                      detail: "no reference label named \(predictionURL.lastPathComponent) under \(options.dataDirectory.path) (looked in */labels/ of every dataset)")
            }
            guard matches.count == 1 else {
                throw SegmentationError.unmatchedCase(caseName: name, file: predictionURL.path,
                                                      detail: "reference labels of this name in several places: \(matches.map(\.label.path).joined(separator: ", ")); evaluate one dataset at a time")
            }
            let reference = matches[0]
            used.insert(name)
            let start = Date()
            let caseRecords = try evaluateCase(name: name, prediction: predictionURL, reference: reference, tree: tree, options: options)
            records += caseRecords
            let dice = caseRecords.compactMap(\.metrics.dice)
            log(String(format: "evaluate %d/%d %@ (%@): %d nodes, mean Dice %.4f, %.1f s", n + 1, predictions.count, name,
                       reference.dataset.name, caseRecords.count, dice.isEmpty ? .nan : dice.reduce(0, +) / Double(dice.count),
                       Date().timeIntervalSince(start)))
        }
        let unpredicted = references.cases.keys.filter { !used.contains($0) }.sorted()

        let out = options.outputDirectory
        let files: [(String, String)] = [
            ("metrics.csv", EvaluationReport.longCSV(records)),
            ("summary.csv", EvaluationReport.summaryCSV(records)),
            ("report.md", EvaluationReport.markdown(records) + unknownNote(references.datasets) + (unpredicted.isEmpty ? "" :
                "\n\(unpredicted.count) labelled case(s) had no prediction and are not scored: \(unpredicted.prefix(20).joined(separator: ", "))\(unpredicted.count > 20 ? ", ..." : "").\n")),
        ]
        var written: [URL] = []
        for (name, text) in files {
            let url = out.appendingPathComponent(name)
            try AtomicFile.write(text, to: url)
            written.append(url)
        }
        return Result(records: records, outputs: written, unpredicted: unpredicted)
    }

    static func unknownNote(_ datasets: [DatasetFolder]) -> String {
        datasets.filter { !$0.unknownPaths.isEmpty }.map {
            "\nNot in the model's tree, so not scored (their voxels are ignored) in \($0.name): \($0.unknownPaths.joined(separator: "; ")).\n"
        }.joined()
    }

    /// Scores one case on every node its dataset annotates.
    static func evaluateCase(name: String, prediction url: URL, reference: ReferenceLabels.Case, tree: LabelTree,
                             options: Options) throws -> [EvaluationRecord] {
        let predicted = try NIfTIFiles.read(url)
        let labels = try NIfTIFiles.read(reference.label)
        try NIfTIFiles.checkSameGrid(predicted, labels, caseName: name, aFile: url.path, bFile: reference.label.path)
        let (predictedClasses, bad) = NIfTIFiles.bytes(predicted.voxels)
        if let bad {
            throw SegmentationError.invalidPrediction(caseName: name, file: url.path,
                                                      detail: "value \(bad) is not a class index of the model's tree (0...\(tree.count - 1))")
        }
        if let beyond = predictedClasses.first(where: { Int($0) >= tree.count }) {
            throw SegmentationError.invalidPrediction(caseName: name, file: url.path,
                                                      detail: "value \(beyond) is not a class index of the model's tree (0...\(tree.count - 1))")
        }
        let classes = try reference.dataset.classMap(labels, caseName: name, file: reference.label.path)
        let nodes = reference.dataset.labels.annotatedClasses
            .filter { options.includeBackground || tree.paths[$0] != ["background"] }
            .map { node in EvaluatedNode(index: node, name: tree.classNames[node], members: NodeMask.table(node: node, tree: tree)) }
        let metrics = CaseEvaluation.evaluate(prediction: predictedClasses, reference: classes, shape: labels.shape,
                                              spacing: labels.spacing, nodes: nodes, tolerances: options.tolerances)
        return zip(nodes, metrics).map {
            EvaluationRecord(dataset: reference.dataset.name, caseName: name, node: $0.index, nodeName: $0.name, metrics: $1)
        }
    }
}

/// The reference labels of every dataset under a folder: `<dataset>/<split>/labels/<case>.nii.gz`.
struct ReferenceLabels {
    struct Case { var dataset: DatasetFolder; var label: URL }
    var cases: [String: [Case]]
    var datasets: [DatasetFolder]

    static func find(under root: URL, tree: LabelTree) throws -> ReferenceLabels {
        let dirs = try DatasetFolders.datasets(under: root)
        var cases: [String: [Case]] = [:], datasets: [DatasetFolder] = []
        for dir in dirs {
            let dataset = try DatasetFolders.folder(dir, tree: tree, unknownPathsIgnored: true)
            datasets.append(dataset)
            for split in dataset.splits.keys.sorted() {
                for c in dataset.splits[split]! {
                    guard let label = c.label else { continue }
                    cases[NIfTIFiles.caseName(label), default: []].append(Case(dataset: dataset, label: label))
                }
            }
        }
        guard !cases.isEmpty else {
            throw SegmentationError.emptyFolder(path: root.path, expected: "reference labels (<dataset>/<split>/labels/*.nii.gz)")
        }
        return ReferenceLabels(cases: cases, datasets: datasets)
    }
}
