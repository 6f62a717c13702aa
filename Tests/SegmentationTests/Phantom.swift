// A small synthetic CT dataset in SALT's layout, written to a temporary folder for workflow tests.
import Foundation
import Tensor
import NIfTI
@testable import Segmentation

/// tree-labels.txt lines of the phantom: source value -> tree path.
let phantomTreeLabels = ["background", "body,other", "body,organs,liver", "body,organs,spleen"]

enum Phantom {
    /// Source label map and CT image (HU) of one phantom case on [n0, n1, n2]: an elliptic body (value 1,
    /// 40 HU) holding a "liver" (value 2, 120 HU) and a "spleen" (value 3, -80 HU) whose positions vary
    /// with `seed`, in air (-1000 HU), with noise.
    static func volumes(shape: [Int], seed: UInt64) -> (image: [Float], labels: [Float]) {
        var rng = SeededRandom(seed: seed)
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        let liver = [rng.uniform(0.35, 0.45), rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6)]
        let spleen = [rng.uniform(0.6, 0.7), rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6)]
        var image = [Float](repeating: 0, count: n0 * n1 * n2), labels = image
        for k in 0..<n2 { for j in 0..<n1 { for i in 0..<n0 {
            let x = (Double(i) + 0.5) / Double(n0), y = (Double(j) + 0.5) / Double(n1), z = (Double(k) + 0.5) / Double(n2)
            func inside(_ c: [Double], _ r: [Double]) -> Bool {
                let a = (x - c[0]) / r[0], b = (y - c[1]) / r[1], d = (z - c[2]) / r[2]
                return a * a + b * b + d * d <= 1
            }
            var value: Float = 0, hu: Float = -1000
            if inside([0.5, 0.5, 0.5], [0.42, 0.38, 0.6]) { value = 1; hu = 40 }
            if inside(liver, [0.14, 0.16, 0.25]) { value = 2; hu = 120 }
            if inside(spleen, [0.09, 0.1, 0.2]) { value = 3; hu = -80 }
            let p = i + n0 * (j + n1 * k)
            labels[p] = value
            image[p] = hu + Float(rng.uniform(-20, 20))
        } } }
        return (image, labels)
    }

    /// Writes a dataset folder `<root>/<name>` with train (and val) cases; returns the dataset folder.
    @discardableResult
    static func writeDataset(root: URL, name: String = "phantom", shape: [Int] = [24, 22, 16], spacing: [Double] = [2, 2, 2.5],
                             train: Int = 2, val: Int = 1, seed: UInt64 = 1) throws -> URL {
        let dir = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try (phantomTreeLabels.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("tree-labels.txt"), atomically: true, encoding: .utf8)
        try "background\nbody\nliver\nspleen\n".write(to: dir.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
        // LPS-like axes with an offset, so reorientation has work to do.
        let affine = Affine([[-spacing[0], 0, 0, 100], [0, -spacing[1], 0, 80], [0, 0, spacing[2], -40], [0, 0, 0, 1]])
        var n = 0
        for (split, count) in [("train", train), ("val", val)] where count > 0 {
            for c in 0..<count {
                let (image, labels) = volumes(shape: shape, seed: seed &+ UInt64(n) &* 7919)
                n += 1
                let caseName = "\(split)_\(c)"
                for (sub, values, type) in [("images", image, NIfTIDataType.int16), ("labels", labels, NIfTIDataType.uint8)] {
                    let folder = dir.appendingPathComponent(split).appendingPathComponent(sub)
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    try Volume(shape: shape, voxels: values.map { $0.rounded() }, affine: affine, datatype: type)
                        .write(to: folder.appendingPathComponent("\(caseName).nii.gz").path)
                }
            }
        }
        return dir
    }
}
