// salt train on a phantom dataset: the loss falls, checkpoints and metrics appear, resume repeats an
// unbroken run, export and predict work on the result; bad input is named by case.
import Foundation
import Network
import NIfTI
import Testing
import TestSupport
@testable import Segmentation

@Suite(.serialized) struct TrainerTests {
    func options(root: URL, data: URL, out: String) -> TrainingOptions {
        var o = TrainingOptions(dataDirectory: data, outputDirectory: root.appendingPathComponent(out))
        o.epochs = 3
        o.stepsPerEpoch = 6
        o.batchSize = 2
        o.patch = [16, 16, 16]
        o.spacing = [4, 4, 4]
        o.filters = [8, 16, 16]
        o.learningRate = 1e-2
        o.seed = 7
        o.cacheDirectory = root.appendingPathComponent("cache")
        return o
    }

    @Test func lossFallsAndResumeRepeatsAnUnbrokenRun() throws {
        let root = try Shared.temporaryDirectory("salt-train")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try Phantom.writeDataset(root: data, shape: [40, 36, 24], spacing: [2, 2, 2.5], train: 2, val: 1)
        let o = options(root: root, data: data, out: "run")
        var lines: [String] = []
        let records = try Trainer.run(o, log: { lines.append($0) })
        print(records.map { String(format: "epoch %d loss %.4f val %.4f", $0.epoch, $0.loss, $0.validationDice ?? -1) }.joined(separator: "\n"))
        #expect(records.count == 3)
        #expect(records.last!.loss < records.first!.loss * 0.9, "loss \(records.map(\.loss))")
        #expect(records.allSatisfy { $0.validationDice != nil })
        #expect(lines.contains { $0.hasPrefix("epoch 1/3 step 1/6 loss ") && $0.contains("s/step ETA ") })
        for f in ["settings.json", "tree.json", "metrics.jsonl", "latest/model.safetensors", "latest/optimizer.safetensors",
                  "latest/state.json", "best/model.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: o.outputDirectory.appendingPathComponent(f).path), "missing \(f)")
        }
        let metrics = try String(contentsOf: o.outputDirectory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 3 && metrics.contains("\"validationDicePerNode\""))

        // Two epochs (interrupted), then --resume to three: the same weights as the unbroken run.
        var first = options(root: root, data: data, out: "resumed")
        first.stopAfterEpochs = 2
        try Trainer.run(first, log: { _ in })
        first.stopAfterEpochs = nil
        var resume = first
        resume.resume = true
        var resumedLines: [String] = []
        try Trainer.run(resume, log: { resumedLines.append($0) })
        #expect(resumedLines.contains { $0.hasPrefix("resume: 2 epoch(s) done") })
        let a = try Checkpoint.load(from: o.outputDirectory.appendingPathComponent("latest").path).network
        let b = try Checkpoint.load(from: first.outputDirectory.appendingPathComponent("latest").path).network
        let worst = zip(a.parameters, b.parameters).map { p, q in zip(p.value.array, q.value.array).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 1
        print("resume vs unbroken run: largest weight difference \(worst)")
        #expect(worst == 0)

        // Export, then predict with the exported model and evaluate.
        let modelFile = root.appendingPathComponent("models/phantom.salt")
        let tables = root.appendingPathComponent("models/labels")
        let written = try Exporter.run(trainDirectory: o.outputDirectory, modelFile: modelFile, labelTables: tables, saltVersion: "test")
        #expect(written.map(\.lastPathComponent) == ["phantom.salt", "itksnap_labels.txt", "slicer_labels.ctbl"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: modelFile.deletingLastPathComponent().path).sorted() == ["labels", "phantom.salt"])
        let model = try SaltModel.load(modelFile.path)
        #expect(model.settings.patch == [16, 16, 16] && model.settings.saltVersion == "test" && model.settings.intensity == .ct)
    }

    @Test func labelGridDifferentFromImageNamesTheCase() throws {
        let root = try Shared.temporaryDirectory("salt-train")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        let dataset = try Phantom.writeDataset(root: data, shape: [40, 36, 24], train: 2, val: 0)
        let bad = Volume(shape: [40, 36, 20], voxels: [Float](repeating: 0, count: 40 * 36 * 20), affine: .diagonal([2, 2, 2.5]), datatype: .uint8)
        try bad.write(to: dataset.appendingPathComponent("train/labels/train_1.nii.gz").path)
        #expect { try Trainer.run(options(root: root, data: data, out: "run"), log: { _ in }) } throws: { e in
            guard case SegmentationError.gridMismatch(let c, _, _, _) = e else { return false }
            return c == "train_1"
        }
    }

    @Test func imageTooSmallForThePatchNamesTheCase() throws {
        let root = try Shared.temporaryDirectory("salt-train")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try Phantom.writeDataset(root: data, shape: [40, 36, 6], spacing: [2, 2, 2], train: 1, val: 0)
        #expect { try Trainer.run(options(root: root, data: data, out: "run"), log: { _ in }) } throws: { e in
            guard case SegmentationError.imageTooSmall(let c, _, _, _) = e else { return false }
            return c == "train_0" && "\(e)".contains("train_0")
        }
    }

    @Test func emptyDataFolderIsAClearError() throws {
        let root = try Shared.temporaryDirectory("salt-train")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: (any Error).self) { try Trainer.run(options(root: root, data: root, out: "run"), log: { _ in }) }
        do { try Trainer.run(options(root: root, data: root, out: "run"), log: { _ in }) } catch {
            #expect("\(error)".contains(root.path))
        }
    }
}
