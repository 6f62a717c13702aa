// `salt predict`: NIfTI files in, class maps (and optional node masks and probability maps) out, each in
// its input's own grid and header; bounded memory (sliding window streamed slab by slab).
import Foundation
import Labels
import NIfTI
import Network
import Tensor

public enum Predictor {
    public struct Options: Sendable {
        /// A NIfTI file or a folder of them.
        public var input: URL
        public var outputDirectory: URL
        /// Nodes to write a binary mask for (names as `resolveNodes` accepts).
        public var nodes: [String] = []
        /// Also write probability maps (of `nodes`, or of every class when `nodes` is empty).
        public var probabilities = false
        /// Keep only each structure's largest connected component.
        public var largestComponent = false

        public init(input: URL, outputDirectory: URL) {
            self.input = input
            self.outputDirectory = outputDirectory
        }
    }

    /// Seconds spent on one case.
    public struct CaseTiming: Sendable {
        public var caseName: String
        public var shape: [Int]
        public var modelShape: [Int]
        public var read: Double
        public var preprocess: Double
        public var network: Double
        public var write: Double
        public var total: Double { read + preprocess + network + write }
        public var voxelsPerSecond: Double { Double(shape.reduce(1, *)) / max(total, 1e-9) }
    }

    /// Predicts every input; writes `<case>.nii.gz` class maps, tree.json, the ITK-SNAP and Slicer label
    /// tables and times.csv into the output folder (masks/ and probabilities/ when asked).
    public static func run(model: SaltModel, options: Options, log: (String) -> Void = { print($0) }) throws -> [CaseTiming] {
        let inputs = try NIfTIFiles.list(options.input, what: "input images")
        let nodes = try resolveNodes(options.nodes, tree: model.tree)
        let keep = options.probabilities ? (nodes.isEmpty ? Array(0..<model.tree.count) : nodes) : []
        let out = options.outputDirectory
        try AtomicFile.write(try TreeFile.data(model.tree), to: out.appendingPathComponent(TreeFile.name))
        try AtomicFile.write(model.tree.itkSnapLabels, to: out.appendingPathComponent(LabelTables.itkSnapName))
        try AtomicFile.write(model.tree.slicerColourTable, to: out.appendingPathComponent(LabelTables.slicerName))
        var timings: [CaseTiming] = []
        for (n, url) in inputs.enumerated() {
            let name = NIfTIFiles.caseName(url)
            var t0 = Date()
            let volume = try NIfTIFiles.read(url)
            let read = Date().timeIntervalSince(t0)
            t0 = Date()
            let result = try predict(volume, model: model, keepChannels: keep, largestComponent: options.largestComponent, caseName: name)
            var timing = result.timing
            timing.caseName = name
            timing.read = read
            t0 = Date()
            var labelTable: [Int: String] = [:]
            for (i, path) in model.tree.paths.enumerated() { labelTable[i] = path.joined(separator: ">") }
            var classes = result.classes
            classes.labelTable = labelTable
            try write(classes, to: out.appendingPathComponent("\(name).nii.gz"))
            for node in nodes {
                let table = NodeMask.table(node: node, tree: model.tree)
                let mask = result.classes.with(voxels: result.classes.voxels.map { table[Int($0)] ? 1 : 0 }, datatype: .uint8)
                try write(mask, to: out.appendingPathComponent("masks").appendingPathComponent("\(name)_\(fileName(model.tree, node)).nii.gz"))
            }
            for (node, map) in result.probabilities.sorted(by: { $0.key < $1.key }) {
                try write(map, to: out.appendingPathComponent("probabilities").appendingPathComponent("\(name)_\(fileName(model.tree, node)).nii.gz"))
            }
            timing.write = Date().timeIntervalSince(t0)
            timings.append(timing)
            log(String(format: "predict %d/%d %@: %@ voxels, read %.1f s, preprocess %.1f s, network %.1f s, write %.1f s",
                       n + 1, inputs.count, name, volume.shape.map(String.init).joined(separator: "x"), timing.read, timing.preprocess,
                       timing.network, timing.write))
        }
        var csv = "case,shape,model_shape,voxels,seconds_read,seconds_preprocess,seconds_network,seconds_write,seconds_total,voxels_per_second\n"
        for t in timings {
            csv += "\(EvaluationReport.csv(t.caseName)),\(t.shape.map(String.init).joined(separator: "x")),\(t.modelShape.map(String.init).joined(separator: "x")),"
            csv += "\(t.shape.reduce(1, *)),\(fmt(t.read)),\(fmt(t.preprocess)),\(fmt(t.network)),\(fmt(t.write)),\(fmt(t.total)),\(Int(t.voxelsPerSecond))\n"
        }
        try AtomicFile.write(csv, to: out.appendingPathComponent("times.csv"))
        return timings
    }

    /// One prediction on the input's own grid: the class map (uint8 class indices, the input's header) and
    /// the probability maps of `keepChannels` (float32, same grid).
    public struct Result {
        public var classes: Volume
        public var probabilities: [Int: Volume]
        public var timing: CaseTiming
    }

    /// Reorients to the model's orientation, resamples to its spacing, normalises, runs the sliding window
    /// (keeping only the leaf argmax and `keepChannels`), optionally cleans up, and resamples back to the
    /// input's grid (nearest for classes, linear for probabilities).
    public static func predict(_ volume: Volume, model: SaltModel, keepChannels: [Int] = [], largestComponent: Bool = false,
                               caseName: String = "") throws -> Result {
        let s = model.settings
        var t0 = Date()
        let canonical = volume.reoriented(to: s.orientation).resampled(toSpacing: s.spacing, interpolation: .linear)
        var values = canonical.voxels
        s.intensity.apply(&values)
        let image = VolumeLayout.tensor(values, shape: canonical.shape)
        values = []
        let preprocess = Date().timeIntervalSince(t0)
        t0 = Date()
        let (classMap, kept) = try classesAndChannels(image: image, model: model, keepChannels: keepChannels)
        var classes = VolumeLayout.voxels(fromTensorOrder: classMap, shape: canonical.shape)
        if largestComponent {
            let tree = model.tree
            let background = tree.index(ofName: "background").map(UInt8.init) ?? 0
            let clean = (0..<256).map { c in c < tree.count && tree.children[c].isEmpty && !tree.sinks.contains(c) && tree.paths[c] != ["background"] }
            LargestComponent.clean(&classes, shape: canonical.shape, clean: clean, fallback: background)
        }
        let network = Date().timeIntervalSince(t0)
        t0 = Date()
        let onModelGrid = canonical.with(voxels: classes.map(Float.init), datatype: .uint8)
        let back = onModelGrid.resampled(toGridOf: volume, interpolation: .nearest)
        var probabilities: [Int: Volume] = [:]
        for (c, map) in kept {
            let p = canonical.with(voxels: VolumeLayout.voxels(fromTensorOrder: map, shape: canonical.shape), datatype: .float32)
            probabilities[c] = p.resampled(toGridOf: volume, interpolation: .linear)
        }
        let resample = Date().timeIntervalSince(t0)
        return Result(classes: back, probabilities: probabilities,
                      timing: CaseTiming(caseName: caseName, shape: volume.shape, modelShape: canonical.shape, read: 0,
                                         preprocess: preprocess + resample, network: network, write: 0))
    }

    /// The leaf argmax ([D, H, W] class indices, W fastest) of TreeSoftmax(network) over `image`
    /// ([1, 1, D, H, W], normalised) by the model's sliding window, plus the blended channels asked for.
    public static func classesAndChannels(image: Tensor, model: SaltModel, keepChannels: [Int] = []) throws -> ([UInt8], [Int: [Float]]) {
        let (d, h, w) = (image.shape[2], image.shape[3], image.shape[4])
        let s = model.settings
        let window = SlidingWindow(roi: s.patch, overlap: s.overlap, blend: .gaussian, sigmaScale: s.sigmaScale,
                                   paddingValue: s.intensity.paddingValue)
        var classes = [UInt8](repeating: 0, count: d * h * w)
        var kept: [Int: [Float]] = [:]
        for c in keepChannels { kept[c] = [Float](repeating: 0, count: d * h * w) }
        let tree = model.tree, net = model.network
        try window.run(image: image, predictor: { TreeSoftmax.forward(net.forward($0), tree: tree) }) { slab in
            let leaf = slab.leafClasses(leaves: tree.leaves)
            for i in 0..<d { for j in 0..<h {
                let src = (i * h + j) * slab.count, dst = (i * h + j) * w + slab.start
                for k in 0..<slab.count { classes[dst + k] = leaf[src + k] }
            } }
            for c in keepChannels {
                let channel = slab.channel(c)
                kept[c]!.withUnsafeMutableBufferPointer { out in
                    for i in 0..<d { for j in 0..<h {
                        let src = channel.startIndex + (i * h + j) * slab.count, dst = (i * h + j) * w + slab.start
                        for k in 0..<slab.count { out[dst + k] = channel[src + k] }
                    } }
                }
            }
        }
        return (classes, kept)
    }

    /// Node names to class indices: a full path ("body,abdominal_cavity,liver", or with ">" or "/" between
    /// parts) or a last part that only one class has ("liver").
    public static func resolveNodes(_ names: [String], tree: LabelTree) throws -> [Int] {
        try names.map { raw in
            let name = raw.trimmingCharacters(in: .whitespaces)
            let path = name.replacingOccurrences(of: ">", with: ",").replacingOccurrences(of: "/", with: ",")
            if let i = tree.index(ofName: path) { return i }
            let matches = tree.paths.indices.filter { tree.paths[$0].last == name }
            if matches.count == 1 { return matches[0] }
            throw SegmentationError.unknownNode(name: name, known: matches.count > 1 ? matches.map { tree.classNames[$0] } : tree.shortNames)
        }
    }

    /// A file-name-safe node name: its path parts joined by "_" ... unless its last part is unique.
    static func fileName(_ tree: LabelTree, _ node: Int) -> String {
        let last = tree.paths[node].last!
        let unique = tree.paths.filter { $0.last == last }.count == 1
        return (unique ? last : tree.paths[node].joined(separator: "-")).replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: " ", with: "_")
    }

    static func write(_ volume: Volume, to url: URL) throws {
        let temporary = AtomicFile.temporaryPath(for: url)
        do { try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
            throw SegmentationError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
        try volume.write(to: temporary.path)
        try AtomicFile.commit(temporary, to: url)
    }

    static func fmt(_ x: Double) -> String { String(format: "%.3f", x) }
}
