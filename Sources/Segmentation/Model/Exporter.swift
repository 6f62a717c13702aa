// `salt export`: a training folder's best (else latest) checkpoint and settings -> one model file, plus
// ITK-SNAP and Slicer label tables beside it.
import Foundation
import Labels
import Network

public enum Exporter {
    /// Writes `modelFile` and, beside it, `<stem>.itksnap.txt` and `<stem>.ctbl`. Returns the paths written.
    @discardableResult
    public static func run(trainDirectory: URL, modelFile: URL, saltVersion: String) throws -> [URL] {
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
        let stem = modelFile.deletingPathExtension()
        let itk = stem.appendingPathExtension("itksnap.txt"), slicer = stem.appendingPathExtension("ctbl")
        try AtomicFile.write(tree.itkSnapLabels, to: itk)
        try AtomicFile.write(tree.slicerColourTable, to: slicer)
        return [modelFile, itk, slicer]
    }
}
