// ../shared/golden/sliding_window: MONAI sliding_window_inference of TreeSoftmax(DynUNet(volume)).
import Foundation
import Labels
import Network
import SafeTensors
import Tensor
import Testing
import TestSupport
@testable import Segmentation

/// The fixture's network with its weights, and the mini tree.
func goldenNetwork(_ file: SafeTensorsFile) throws -> (DynUNet, LabelTree) {
    let meta = try JSONSerialization.jsonObject(with: Data(file.metadata["json"]!.utf8)) as! [String: Any]
    let config = try DynUNetConfiguration(inChannels: 1, outChannels: meta["out_channels"] as! Int,
                                          kernels: meta["kernels"] as! [[Int]], strides: meta["strides"] as! [[Int]],
                                          filters: meta["filters"] as? [Int])
    let net = DynUNet(config, seed: 1)
    for p in net.parameters {
        let t = try file.tensor("param." + p.name)
        precondition(t.shape == p.shape, "\(p.name): golden \(t.shape) vs \(p.shape)")
        p.value.storage.update(from: t.floats, count: p.value.count)
    }
    let mini = try Shared.goldenJSON("mini_tree.json") as! [String: Any]
    let tree = try LabelTree(paths: mini["labels"] as! [[String]])
    return (net, tree)
}

@Suite struct SlidingWindowGoldenTests {
    @Test func treeProbabilitiesAndLeafMapMatchMONAI() throws {
        let file = try Shared.goldenTensors("sliding_window.safetensors")
        let (net, tree) = try goldenNetwork(file)
        let volume = try file.tensor("volume")
        let image = Tensor(shape: volume.shape, values: volume.floats)
        let sw = SlidingWindow(roi: [16, 16, 16], overlap: 0.5, blend: .gaussian, sigmaScale: 0.125)
        let predictor: (Tensor) -> Tensor = { TreeSoftmax.forward(net.forward($0), tree: tree) }
        var leafMap = [Int32](repeating: -1, count: image.count)
        let probs = Tensor(shape: [1, tree.count] + Array(image.shape[2...]))
        let (d, h, w) = (image.shape[2], image.shape[3], image.shape[4])
        try sw.run(image: image, predictor: predictor) { slab in
            let classes = slab.leafClasses(leaves: tree.leaves)
            for i in 0..<d { for j in 0..<h { for k in 0..<slab.count {
                leafMap[(i * h + j) * w + slab.start + k] = Int32(classes[(i * h + j) * slab.count + k])
                for c in 0..<slab.channels { probs.storage[((c * d + i) * h + j) * w + slab.start + k] = slab.value(c, i, j, k) }
            } } }
        }
        let expected = try file.tensor("probs")
        let worst = zip(probs.array, expected.values).map { abs(Double($0) - $1) }.max()!
        print("sliding window golden: largest probability difference \(worst)")
        #expect(worst < 1e-4)
        let expectedLeaves = try file.tensor("pred_leaf").ints
        let mismatches = zip(leafMap, expectedLeaves).filter { Int($0) != $1 }.count
        print("sliding window golden: leaf map mismatches \(mismatches) of \(expectedLeaves.count)")
        #expect(mismatches == 0)
        #expect(Set(expectedLeaves).count > 1)  // the fixture is not one class everywhere
    }
}
