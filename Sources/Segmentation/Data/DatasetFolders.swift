// Datasets in SALT's layout: <dataset>/{labels.txt, tree-labels.txt, <split>/{images,labels}/*.nii.gz}.
import Foundation
import Labels
import NIfTI

/// One case of a dataset split: its image and, when present, its label volume.
struct CaseFiles: Sendable, Equatable {
    var image: URL
    var label: URL?
    var name: String { NIfTIFiles.caseName(image) }
}

/// A dataset folder: its label files mapped onto a tree, and its splits.
struct DatasetFolder: Sendable {
    var labels: DatasetLabels
    var splits: [String: [CaseFiles]]
    /// Source values whose tree path is not in the tree (only when read with `unknownPathsIgnored`):
    /// their voxels are ignored (255).
    var ignoredValues: [Int] = []
    /// Those paths, for reports.
    var unknownPaths: [String] = []
    var name: String { labels.name }

    /// The class map of a label volume (see `DatasetLabels.classMap`), with `ignoredValues` as 255.
    func classMap(_ volume: Volume, caseName: String, file: String) throws -> [UInt8] {
        var classes = try labels.classMap(volume, caseName: caseName, file: file)
        if !ignoredValues.isEmpty {
            let (values, _) = NIfTIFiles.bytes(volume.voxels)
            var ignore = [Bool](repeating: false, count: 256)
            for v in ignoredValues where v < 256 { ignore[v] = true }
            for i in values.indices where ignore[Int(values[i])] { classes[i] = 255 }
        }
        return classes
    }
}

enum DatasetFolders {
    /// Dataset folders (those holding tree-labels.txt) at or under `root`, sorted by path.
    static func datasets(under root: URL) throws -> [URL] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw SegmentationError.missing(path: root.path, what: "the data folder")
        }
        if fm.fileExists(atPath: root.appendingPathComponent("tree-labels.txt").path) { return [root] }
        var found: [URL] = []
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: root.path) } catch {
            throw SegmentationError.unreadable(path: root.path, reason: error.localizedDescription)
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let sub = root.appendingPathComponent(name)
            if fm.fileExists(atPath: sub.path, isDirectory: &isDir), isDir.boolValue {
                found += try datasets(under: sub)
            }
        }
        guard !found.isEmpty else {
            throw SegmentationError.emptyFolder(path: root.path, expected: "dataset folders (each with a tree-labels.txt)")
        }
        return found
    }

    /// Split name -> cases (`<split>/images/*.nii[.gz]` with their `<split>/labels/` namesakes).
    static func splits(of dir: URL) throws -> [String: [CaseFiles]] {
        let fm = FileManager.default
        var splits: [String: [CaseFiles]] = [:]
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: dir.path) } catch {
            throw SegmentationError.unreadable(path: dir.path, reason: error.localizedDescription)
        }
        for split in names.sorted() where !split.hasPrefix(".") {
            let images = dir.appendingPathComponent(split).appendingPathComponent("images")
            let labels = dir.appendingPathComponent(split).appendingPathComponent("labels")
            var isDir: ObjCBool = false
            let hasImages = fm.fileExists(atPath: images.path, isDirectory: &isDir) && isDir.boolValue
            let hasLabels = fm.fileExists(atPath: labels.path, isDirectory: &isDir) && isDir.boolValue
            guard hasImages || hasLabels else { continue }
            var cases: [String: CaseFiles] = [:]
            if hasImages {
                let files: [String]
                do { files = try fm.contentsOfDirectory(atPath: images.path) } catch {
                    throw SegmentationError.unreadable(path: images.path, reason: error.localizedDescription)
                }
                for f in files where NIfTIFiles.isVolume(f) {
                    let label = labels.appendingPathComponent(f)
                    cases[f] = CaseFiles(image: images.appendingPathComponent(f), label: fm.fileExists(atPath: label.path) ? label : nil)
                }
            }
            if hasLabels {
                // Labels without an image still serve as references for evaluation.
                let files: [String]
                do { files = try fm.contentsOfDirectory(atPath: labels.path) } catch {
                    throw SegmentationError.unreadable(path: labels.path, reason: error.localizedDescription)
                }
                for f in files where NIfTIFiles.isVolume(f) && cases[f] == nil {
                    cases[f] = CaseFiles(image: images.appendingPathComponent(f), label: labels.appendingPathComponent(f))
                }
            }
            splits[split] = cases.keys.sorted().map { cases[$0]! }
        }
        return splits
    }

    /// The dataset's label files mapped onto `tree` (every path must be a node of it), with its splits.
    /// With `unknownPathsIgnored` (evaluation against a model's tree), lines whose path the tree lacks
    /// are ignored instead of rejected: the model cannot predict those structures.
    static func folder(_ dir: URL, tree: LabelTree, unknownPathsIgnored: Bool = false) throws -> DatasetFolder {
        var file = try LabelFile.read(directory: dir)
        var ignored: [Int] = [], unknown: [String] = []
        if unknownPathsIgnored {
            for (v, path) in file.paths.enumerated() {
                if let path, tree.index(of: path) == nil {
                    ignored.append(v)
                    unknown.append(path.joined(separator: ","))
                }
            }
            if !ignored.isEmpty {
                var paths = file.paths
                for v in ignored { paths[v] = nil }
                file = LabelFile(sourceNames: file.sourceNames, paths: paths, treeLabelsFile: file.treeLabelsFile)
            }
        }
        let labels = try DatasetLabels(name: dir.standardizedFileURL.lastPathComponent, file: file, tree: tree, directory: dir)
        return DatasetFolder(labels: labels, splits: try splits(of: dir), ignoredValues: ignored, unknownPaths: unknown)
    }
}

extension DatasetLabels {
    /// The class map of a label volume: source values through this dataset's table; 255 = ignore.
    /// Throws naming the case when a value is not a whole number in 0...255 or no line describes it.
    func classMap(_ labels: Volume, caseName: String, file: String) throws -> [UInt8] {
        let (values, bad) = NIfTIFiles.bytes(labels.voxels)
        if let bad {
            throw SegmentationError.valuesNotInTree(caseName: caseName, file: file, values: [Int(bad.rounded(.down))],
                                                    labelFile: self.file.treeLabelsFile)
        }
        var present = [Bool](repeating: false, count: 256)
        for v in values { present[Int(v)] = true }
        let undescribed = undescribedValues(in: (0..<256).filter { present[$0] })
        if !undescribed.isEmpty {
            throw SegmentationError.valuesNotInTree(caseName: caseName, file: file, values: undescribed, labelFile: self.file.treeLabelsFile)
        }
        let lut = lookupTable
        return values.map { lut[Int($0)] }
    }
}
