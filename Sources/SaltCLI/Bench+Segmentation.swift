// `salt bench segmentation`: figures for the segmentation workflow: surface metrics on CT-sized masks,
// and predict throughput (voxels per second, peak memory) on a real CT with an untrained network of the
// demo's size (the weights do not change the cost).
import Foundation
import Labels
import Network
import NIfTI
import Segmentation

extension BenchSuite {
    static let segmentation = BenchSuite(
        name: "segmentation",
        summary: "Surface metrics on CT-sized masks; predict throughput on a real CT (--part metrics|predict|all --input CT --patch 64,64,64 --spacing 3,3,3 --filters 16,32,64,128,256)",
        run: { arguments in
            let part = try arguments.option("--part") ?? "all"
            let shape = try arguments.ints("--shape", default: [512, 512, 300])
            let radius = try arguments.double("--radius", default: 0.35)
            let input = try arguments.option("--input")
            let patch = try arguments.ints("--patch", default: [64, 64, 64])
            let spacing = try arguments.doubles("--spacing", default: [3, 3, 3])
            let filters = try arguments.ints("--filters", default: [16, 32, 64, 128, 256])
            try arguments.finish()
            guard ["metrics", "predict", "all"].contains(part) else { throw UsageError("salt bench segmentation: --part must be metrics, predict or all") }
            if part != "predict" { benchMetrics(shape: shape, radius: radius) }
            if part != "metrics" { try benchPredict(input: input, patch: patch, spacing: spacing, filters: filters) }
        })

    static func benchMetrics(shape: [Int], radius: Double) {
        // Two overlapping ellipsoids, each spanning `radius` of the grid along every axis.
        func ellipsoid(shift: Double) -> BinaryMask {
            var m = BinaryMask(shape: shape)
            for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] {
                let x = (Double(i) / Double(shape[0]) - 0.5 - shift) / radius
                let y = (Double(j) / Double(shape[1]) - 0.5) / radius
                let z = (Double(k) / Double(shape[2]) - 0.5) / radius
                if x * x + y * y + z * z <= 1 { m.values[i + shape[0] * (j + shape[1] * k)] = 1 }
            } } }
            return m
        }
        let a = ellipsoid(shift: 0), b = ellipsoid(shift: 0.02)
        let start = Date()
        let m = StructureMetrics(groundTruth: a, prediction: b, spacing: [0.8, 0.8, 1.5])
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "metrics %@ radius %.2f: %d + %d voxels, Dice %.4f, HD95 %.2f mm, all scores in %.2f s",
                     shape.map(String.init).joined(separator: "x"), radius, a.count, b.count, m.dice ?? -1, m.hausdorff95 ?? -1, seconds))
    }

    static func benchPredict(input: String?, patch: [Int], spacing: [Double], filters: [Int]) throws {
        let path = input ?? defaultCT()
        guard FileManager.default.fileExists(atPath: path) else {
            throw UsageError("salt bench segmentation: no CT at \(path); give one with --input")
        }
        // The 145-class SALT tree (saros+totalseg) if present beside the repository, else a small tree.
        let tree = try benchTree()
        let config = try DynUNetConfiguration(patch: patch, spacing: spacing, outChannels: tree.count, filters: filters)
        let settings = ModelSettings(saltVersion: Salt.version, network: config, tree: tree, spacing: spacing, patch: patch, intensity: .ct)
        let model = SaltModel(settings: settings, tree: tree, network: DynUNet(config, seed: 0))
        let volume = try Volume.read(path)
        let start = Date()
        let result = try Predictor.predict(volume, model: model)
        let seconds = Date().timeIntervalSince(start)
        let voxels = volume.shape.reduce(1, *)
        print(String(format: "predict %@ (%@ voxels, %d classes), patch %@ at %@ mm, filters %@: %.1f s (preprocess+resample %.1f s, network %.1f s), %.0f input voxels/s, model grid %@",
                     (path as NSString).lastPathComponent, volume.shape.map(String.init).joined(separator: "x"), tree.count,
                     patch.map(String.init).joined(separator: "x"), spacing.map { String($0) }.joined(separator: "x"),
                     filters.map(String.init).joined(separator: ","), seconds, result.timing.preprocess, result.timing.network,
                     Double(voxels) / seconds, result.timing.modelShape.map(String.init).joined(separator: "x")))
        print(String(format: "peak RSS (VmHWM): %.0f MB", NetworkBenchmark.peakRSSMB()))
    }

    static func sharedRoot() -> URL {
        if let env = ProcessInfo.processInfo.environment["SALT_SHARED"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent().appendingPathComponent("shared")
    }

    static func defaultCT() -> String { sharedRoot().appendingPathComponent("data/real/totalseg/patientB_ct.nii.gz").path }

    static func benchTree() throws -> LabelTree {
        let dir = sharedRoot().appendingPathComponent("data/salt-labels/saros+totalseg")
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("tree-labels.txt").path) {
            return try LabelSet.merge([("saros+totalseg", try LabelFile.read(directory: dir))]).tree
        }
        return try LabelTree(paths: [["background"], ["body", "a"], ["body", "b"]])
    }
}
