// `salt bench segmentation`: figures for the segmentation workflow (surface metrics on CT-sized masks).
import Foundation
import Segmentation

extension BenchSuite {
    static let segmentation = BenchSuite(
        name: "segmentation",
        summary: "Surface metrics on CT-sized masks (--shape 512,512,300 --radius 0.35)",
        run: { arguments in
            let shape = try arguments.ints("--shape", default: [512, 512, 300])
            let radius = try arguments.double("--radius", default: 0.35)
            try arguments.finish()
            // Two overlapping ellipsoids, each spanning `radius` of the grid along every axis.
            func ellipsoid(shift: Double) -> BinaryMask {
                var m = BinaryMask(shape: shape)
                for k in 0..<shape[2] {
                    for j in 0..<shape[1] {
                        for i in 0..<shape[0] {
                            let x = (Double(i) / Double(shape[0]) - 0.5 - shift) / radius
                            let y = (Double(j) / Double(shape[1]) - 0.5) / radius
                            let z = (Double(k) / Double(shape[2]) - 0.5) / radius
                            if x * x + y * y + z * z <= 1 { m.values[i + shape[0] * (j + shape[1] * k)] = 1 }
                        }
                    }
                }
                return m
            }
            let a = ellipsoid(shift: 0), b = ellipsoid(shift: 0.02)
            let start = Date()
            let m = StructureMetrics(groundTruth: a, prediction: b, spacing: [0.8, 0.8, 1.5])
            let seconds = Date().timeIntervalSince(start)
            print(String(format: "metrics %@ radius %.2f: %d + %d voxels, Dice %.4f, HD95 %.2f mm, all scores in %.2f s",
                         shape.map(String.init).joined(separator: "x"), radius, a.count, b.count, m.dice ?? -1, m.hausdorff95 ?? -1, seconds))
        })
}
