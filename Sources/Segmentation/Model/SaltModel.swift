// The model file `salt export` writes and `salt predict` reads: one safetensors file holding every network
// weight under its PyTorch name (so MONAI's DynUNet can load it) and, in its metadata under "salt_model",
// everything prediction needs: the tree, spacing, patch, orientation, intensity, network configuration and
// the salt version that wrote it.
import Foundation
import Labels
import Network
import SafeTensors

/// What prediction needs besides the weights.
public struct ModelSettings: Codable, Equatable, Sendable {
    public static let currentFormat = "salt model 1"
    public var format: String = ModelSettings.currentFormat
    public var saltVersion: String
    public var network: DynUNetConfiguration
    /// Class paths in class order (the model's output channels) and the indices of sink classes.
    public var classes: [[String]]
    public var sinks: [Int]
    /// Voxel size (mm) along i, j, k of the canonical orientation the network works in.
    public var spacing: [Double]
    /// Training patch = sliding-window size, voxels.
    public var patch: [Int]
    /// Canonical orientation (axis codes), SALT: LPI.
    public var orientation: String
    public var intensity: IntensityNormalization
    /// Sliding-window overlap and Gaussian sigma scale used at prediction.
    public var overlap: Double
    public var sigmaScale: Double
    /// Datasets the model was trained on (informational).
    public var datasets: [String]

    public init(saltVersion: String, network: DynUNetConfiguration, tree: LabelTree, spacing: [Double], patch: [Int],
                orientation: String = "LPI", intensity: IntensityNormalization, overlap: Double = 0.5, sigmaScale: Double = 0.125,
                datasets: [String] = []) {
        self.saltVersion = saltVersion
        self.network = network
        self.classes = tree.paths
        self.sinks = tree.sinks
        self.spacing = spacing
        self.patch = patch
        self.orientation = orientation
        self.intensity = intensity
        self.overlap = overlap
        self.sigmaScale = sigmaScale
        self.datasets = datasets
    }

    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    public static func from(jsonData: Data, source: String) throws -> ModelSettings {
        do { return try JSONDecoder().decode(ModelSettings.self, from: jsonData) } catch {
            throw SegmentationError.unreadable(path: source, reason: "model settings: \(error)")
        }
    }

    /// The tree of the classes, rebuilt and checked to come back in the same order.
    public func tree(source: String) throws -> LabelTree {
        try TreeFile.tree(from: ["classes": classes, "sinks": sinks], source: source)
    }
}

/// A trained network with its settings and tree.
public final class SaltModel {
    public static let metadataKey = "salt_model"
    public let settings: ModelSettings
    public let tree: LabelTree
    public let network: DynUNet

    public init(settings: ModelSettings, tree: LabelTree, network: DynUNet) {
        precondition(network.configuration.outChannels == tree.count, "network has \(network.configuration.outChannels) outputs for \(tree.count) classes")
        self.settings = settings
        self.tree = tree
        self.network = network
    }

    /// Reads a model file written by `write(to:)`.
    public static func load(_ path: String) throws -> SaltModel {
        guard FileManager.default.fileExists(atPath: path) else { throw SegmentationError.missing(path: path, what: "the model file") }
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: path) } catch {
            throw SegmentationError.unreadable(path: path, reason: "\(error)")
        }
        guard let json = file.metadata[metadataKey] else {
            throw SegmentationError.unreadable(path: path, reason: "no '\(metadataKey)' metadata: not a salt model file (make one with 'salt export')")
        }
        let settings = try ModelSettings.from(jsonData: Data(json.utf8), source: path)
        guard settings.format == ModelSettings.currentFormat else {
            throw SegmentationError.unreadable(path: path, reason: "model format '\(settings.format)'; this salt reads '\(ModelSettings.currentFormat)'")
        }
        let tree = try settings.tree(source: path)
        let network = DynUNet(settings.network, seed: 0)
        for p in network.parameters {
            guard let t = file[p.name] else { throw SegmentationError.unreadable(path: path, reason: "weight '\(p.name)' missing") }
            guard t.shape == p.shape else {
                throw SegmentationError.unreadable(path: path, reason: "weight '\(p.name)' has shape \(t.shape), the network needs \(p.shape)")
            }
            for i in 0..<p.value.count { p.value.storage[i] = Float(t.values[i]) }
        }
        guard network.configuration.outChannels == tree.count else {
            throw SegmentationError.unreadable(path: path, reason: "the network has \(network.configuration.outChannels) outputs for \(tree.count) classes")
        }
        return SaltModel(settings: settings, tree: tree, network: network)
    }

    /// Writes the model file (through a temporary name, then renamed).
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = AtomicFile.temporaryPath(for: url)
        let json = String(decoding: try settings.jsonData(), as: UTF8.self)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let params = network.parameters
            try SafeTensorsFile.writeF32(params.map { SafeTensorsFloatArray(name: $0.name, shape: $0.shape, values: UnsafeBufferPointer($0.value.buffer)) },
                                         metadata: [Self.metadataKey: json, "format": settings.format], to: temporary.path)
        } catch {
            try? FileManager.default.removeItem(at: temporary)  // best effort; the error below says what failed
            throw SegmentationError.writeFailed(path: path, reason: "\(error)")
        }
        try AtomicFile.commit(temporary, to: url)
    }
}
