// `salt export`: a training folder's best (else latest) checkpoint and settings -> one model file, and
// optionally ITK-SNAP and Slicer label tables in a folder of their own (the tree is in the model file too).
import Foundation
import Labels
import Network

public enum Exporter {
    /// Writes `modelFile` and, when `labelTables` is given, `itksnap_labels.txt` and `slicer_labels.ctbl`
    /// in that folder. The tables get a folder of their own, not names derived from the model file, because a
    /// pipeline stage hands the command a temporary model path and moves only its declared outputs into place.
    /// Returns the paths written.
    @discardableResult
    public static func run(trainDirectory: URL, modelFile: URL, labelTables: URL? = nil, saltVersion: String) throws -> [URL] {
        let settingsURL = trainDirectory.appendingPathComponent("settings.json")
        guard let data = FileManager.default.contents(atPath: settingsURL.path) else {
            throw SegmentationError.missing(path: settingsURL.path, what: "the training settings (is \(trainDirectory.path) a 'salt train' output folder?)")
        }
        var settings = try ModelSettings.from(jsonData: data, source: settingsURL.path)
        settings.saltVersion = saltVersion
        let tree = try settings.tree(source: settingsURL.path)
        let best = trainDirectory.appendingPathComponent("best"), latest = trainDirectory.appendingPathComponent("latest")
        let checkpoint = FileManager.default.fileExists(atPath: best.appendingPathComponent(Checkpoint.modelFile).path) ? best : latest
        guard FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent(Checkpoint.modelFile).path) else {
            throw SegmentationError.missing(path: latest.path, what: "a checkpoint (train for at least one epoch first)")
        }
        let network = try Checkpoint.load(from: checkpoint.path).network
        guard network.configuration == settings.network else {
            throw SegmentationError.unreadable(path: checkpoint.path, reason: "its network configuration differs from settings.json; was the folder reused by another training?")
        }
        let model = SaltModel(settings: settings, tree: tree, network: network)
        try model.write(to: modelFile.path)
        guard let labelTables else { return [modelFile] }
        try FileManager.default.createDirectory(at: labelTables, withIntermediateDirectories: true)
        let itk = labelTables.appendingPathComponent("itksnap_labels.txt")
        let slicer = labelTables.appendingPathComponent("slicer_labels.ctbl")
        try AtomicFile.write(tree.itkSnapLabels, to: itk)
        try AtomicFile.write(tree.slicerColourTable, to: slicer)
        return [modelFile, itk, slicer]
    }
}
