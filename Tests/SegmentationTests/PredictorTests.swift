// salt predict on phantom images with a small (untrained) model: outputs on the input's own grid and
// header, masks, probabilities, node names, clean-up; model files round-trip.
import Foundation
import Labels
import Network
import NIfTI
import Testing
import TestSupport
@testable import Segmentation

/// A small random model for the phantom tree (patch 16^3 at 4 mm, filters 4, 8, 16).
func phantomModel(seed: UInt64 = 3) throws -> SaltModel {
    let file = try LabelFile(treeLabels: phantomTreeLabels.joined(separator: "\n") + "\n", treeLabelsFile: "phantom/tree-labels.txt")
    let tree = try LabelSet.merge([("phantom", file)]).tree
    let config = try DynUNetConfiguration(patch: [16, 16, 16], spacing: [4, 4, 4], outChannels: tree.count, filters: [4, 8, 16])
    let net = DynUNet(config, seed: seed)
    let settings = ModelSettings(saltVersion: "test", network: config, tree: tree, spacing: [4, 4, 4], patch: [16, 16, 16], intensity: .ct)
    return SaltModel(settings: settings, tree: tree, network: net)
}

@Suite struct PredictorTests {
    @Test func outputHeaderEqualsInputHeader() throws {
        let root = try Shared.temporaryDirectory("salt-predict")
        defer { try? FileManager.default.removeItem(at: root) }
        let dataset = try Phantom.writeDataset(root: root, train: 1, val: 0)
        let modelPath = root.appendingPathComponent("model.salt").path
        try phantomModel().write(to: modelPath)
        let model = try SaltModel.load(modelPath)
        let input = dataset.appendingPathComponent("train/images")
        var options = Predictor.Options(input: input, outputDirectory: root.appendingPathComponent("pred"))
        options.nodes = ["organs", "body>organs>liver"]
        options.probabilities = true
        options.largestComponent = true
        let timings = try Predictor.run(model: model, options: options, log: { _ in })
        #expect(timings.count == 1)
        let image = try Volume.read(input.appendingPathComponent("train_0.nii.gz").path)
        let output = try Volume.read(root.appendingPathComponent("pred/train_0.nii.gz").path)
        #expect(output.shape == image.shape)
        #expect(output.affine.maxDifference(image.affine) < 1e-6)
        let (h, g) = (output.header, image.header)
        #expect(h.pixdim == g.pixdim && h.qformCode == g.qformCode && h.sformCode == g.sformCode)
        #expect(h.quaternB == g.quaternB && h.quaternC == g.quaternC && h.quaternD == g.quaternD)
        #expect(h.qoffsetX == g.qoffsetX && h.qoffsetY == g.qoffsetY && h.qoffsetZ == g.qoffsetZ)
        #expect(h.xyzUnits == g.xyzUnits && h.dim == g.dim)
        #expect(output.datatype == .uint8)
        #expect(output.voxels.allSatisfy { $0 >= 0 && Int($0) < model.tree.count && model.tree.leaves.contains(Int($0)) })
        #expect(output.labelTable[model.tree.index(ofName: "body,organs,liver")!] == "body>organs>liver")
        for f in ["tree.json", "itksnap_labels.txt", "slicer_labels.ctbl", "times.csv", "masks/train_0_organs.nii.gz",
                  "masks/train_0_liver.nii.gz", "probabilities/train_0_organs.nii.gz"] {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("pred/" + f).path), "missing \(f)")
        }
        let probability = try Volume.read(root.appendingPathComponent("pred/probabilities/train_0_organs.nii.gz").path)
        #expect(probability.shape == image.shape && probability.voxels.allSatisfy { $0 >= 0 && $0 <= 1.0001 })
        let times = try String(contentsOf: root.appendingPathComponent("pred/times.csv"), encoding: .utf8)
        #expect(times.hasPrefix("case,shape,") && times.contains("\ntrain_0,24x22x16,"))
    }

    @Test func modelFileRoundTrips() throws {
        let root = try Shared.temporaryDirectory("salt-model")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try phantomModel(seed: 9)
        let path = root.appendingPathComponent("m.salt").path
        try model.write(to: path)
        let back = try SaltModel.load(path)
        #expect(back.settings == model.settings)
        #expect(back.tree == model.tree)
        for (a, b) in zip(model.network.parameters, back.network.parameters) { #expect(a.value.array == b.value.array, "\(a.name)") }
        #expect { try SaltModel.load(root.appendingPathComponent("none.salt").path) } throws: { "\($0)".contains("none.salt") }
    }

    @Test func nodeNamesResolveOrExplain() throws {
        let tree = try phantomModel().tree
        #expect(try Predictor.resolveNodes(["liver", "body>organs", "body/other"], tree: tree)
            == [tree.index(ofName: "body,organs,liver")!, tree.index(ofName: "body,organs")!, tree.index(ofName: "body,other")!])
        #expect { try Predictor.resolveNodes(["kidneys"], tree: tree) } throws: { e in
            guard case SegmentationError.unknownNode(let n, _) = e else { return false }
            return n == "kidneys"
        }
    }

    @Test func emptyInputFolderIsAClearError() throws {
        let root = try Shared.temporaryDirectory("salt-predict")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect { try Predictor.run(model: try phantomModel(), options: .init(input: root, outputDirectory: root.appendingPathComponent("o")), log: { _ in }) } throws: { e in
            guard case SegmentationError.emptyFolder(let p, _) = e else { return false }
            return p == root.path
        }
    }

    @Test func largestComponentKeepsTheBiggestPiece() {
        // Class 1: a 3x3x3 cube and a lone voxel; class 2 around. The lone voxel becomes 2.
        let shape = [8, 8, 8]
        var classes = [UInt8](repeating: 2, count: 512)
        for k in 1..<4 { for j in 1..<4 { for i in 1..<4 { classes[i + 8 * (j + 8 * k)] = 1 } } }
        classes[6 + 8 * (6 + 8 * 6)] = 1
        let changed = LargestComponent.clean(&classes, shape: shape, clean: (0..<256).map { $0 == 1 })
        #expect(changed == 1)
        #expect(classes[6 + 8 * (6 + 8 * 6)] == 2)
        #expect(classes.filter { $0 == 1 }.count == 27)
    }
}
