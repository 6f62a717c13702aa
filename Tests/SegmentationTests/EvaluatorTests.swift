// salt evaluate end to end on phantom files: perfect predictions, and bad input named by case.
import Foundation
import Labels
import NIfTI
import Testing
import TestSupport
@testable import Segmentation

@Suite struct EvaluatorTests {
    /// The phantom tree and a predictions folder holding each train label as a class map, plus tree.json.
    func setUp() throws -> (root: URL, dataset: URL, predictions: URL, tree: LabelTree) {
        let root = try Shared.temporaryDirectory("salt-eval")
        let dataset = try Phantom.writeDataset(root: root)
        let file = try LabelFile.read(directory: dataset)
        let set = try LabelSet.merge([("phantom", file)])
        let predictions = root.appendingPathComponent("pred")
        try FileManager.default.createDirectory(at: predictions, withIntermediateDirectories: true)
        try TreeFile.data(set.tree).write(to: predictions.appendingPathComponent("tree.json"))
        let lut = set.datasets[0].lookupTable
        for name in ["train_0", "train_1"] {
            let labels = try Volume.read(dataset.appendingPathComponent("train/labels/\(name).nii.gz").path)
            let classes = labels.voxels.map { Float(lut[Int($0)]) }
            try labels.with(voxels: classes, datatype: .uint8).write(to: predictions.appendingPathComponent("\(name).nii.gz").path)
        }
        return (root, dataset, predictions, set.tree)
    }

    @Test func predictionEqualToLabelsGivesDiceOne() throws {
        let (root, dataset, predictions, tree) = try setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("eval")
        let result = try Evaluator.run(.init(predictions: predictions, dataDirectory: dataset, outputDirectory: out), log: { _ in })
        // Every annotated node except background: body, body,organs, liver, spleen, other; 2 cases.
        #expect(Set(result.records.map(\.nodeName)) == ["body", "body,organs", "body,organs,liver", "body,organs,spleen", "body,other"])
        #expect(result.records.count == 10)
        #expect(result.records.allSatisfy { $0.metrics.dice == 1 && $0.metrics.hausdorff95 == 0 })
        #expect(result.unpredicted == ["val_0"])
        let summary = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8)
        #expect(summary.contains("phantom,\(tree.index(ofName: "body,organs,liver")!),\"body,organs,liver\",dice,2,1,0,1,1,1,2,2,0,0,0"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.md").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.csv").path))
    }

    @Test func gridMismatchNamesTheCase() throws {
        let (root, dataset, predictions, _) = try setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let wrong = Volume(shape: [10, 10, 10], voxels: [Float](repeating: 0, count: 1000), affine: .identity, datatype: .uint8)
        try wrong.write(to: predictions.appendingPathComponent("train_1.nii.gz").path)
        let out = root.appendingPathComponent("eval")
        #expect { try Evaluator.run(.init(predictions: predictions, dataDirectory: dataset, outputDirectory: out), log: { _ in }) } throws: { e in
            guard case SegmentationError.gridMismatch(let c, _, _, _) = e else { return false }
            return c == "train_1" && "\(e)".contains("train_1")
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.csv").path))  // nothing half written
    }

    @Test func labelValueNotInTreeNamesTheCase() throws {
        let (root, dataset, predictions, _) = try setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = dataset.appendingPathComponent("train/labels/train_0.nii.gz").path
        var labels = try Volume.read(path)
        labels.voxels[0] = 9
        try labels.write(to: path)
        #expect { try Evaluator.run(.init(predictions: predictions, dataDirectory: dataset, outputDirectory: root.appendingPathComponent("e")), log: { _ in }) } throws: { e in
            guard case SegmentationError.valuesNotInTree(let c, _, let values, _) = e else { return false }
            return c == "train_0" && values == [9]
        }
    }

    @Test func emptyPredictionFolderIsAClearError() throws {
        let root = try Shared.temporaryDirectory("salt-eval")
        defer { try? FileManager.default.removeItem(at: root) }
        let dataset = try Phantom.writeDataset(root: root)
        let empty = root.appendingPathComponent("pred")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let set = try LabelSet.merge([("phantom", try LabelFile.read(directory: dataset))])
        try TreeFile.data(set.tree).write(to: empty.appendingPathComponent("tree.json"))
        #expect { try Evaluator.run(.init(predictions: empty, dataDirectory: dataset, outputDirectory: root.appendingPathComponent("e")), log: { _ in }) } throws: { e in
            guard case SegmentationError.emptyFolder(let p, _) = e else { return false }
            return p == empty.path
        }
    }

    @Test func structuresOutsideTheModelTreeAreIgnoredAndReported() throws {
        let (root, dataset, predictions, _) = try setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        // The reference dataset now calls value 3 a "kidney", which the model's tree lacks.
        try "background\nbody,other\nbody,organs,liver\nbody,organs,kidney\n".write(to: dataset.appendingPathComponent("tree-labels.txt"), atomically: true, encoding: .utf8)
        var lines: [String] = []
        let out = root.appendingPathComponent("eval")
        let result = try Evaluator.run(.init(predictions: predictions, dataDirectory: dataset, outputDirectory: out), log: { lines.append($0) })
        #expect(lines.contains { $0.contains("not in the model's tree") && $0.contains("body,organs,kidney") })
        #expect(!result.records.contains { $0.nodeName == "body,organs,spleen" })
        #expect(result.records.filter { $0.nodeName == "body,organs,liver" }.allSatisfy { $0.metrics.dice == 1 })
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("Not in the model's tree"))
    }
}
