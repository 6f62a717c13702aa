// One dataset's view of a label tree: which class each source label value becomes, and which classes
// the dataset annotates (only those teach the network; see SaltLoss).
import Foundation

/// One image/label pair of a split (`<dataset>/<split>/images/X.nii.gz`, `<dataset>/<split>/labels/X.nii.gz`).
public struct DatasetCase: Sendable, Equatable {
    public var image: URL
    /// nil when the label file is absent (e.g. an unlabelled test split).
    public var label: URL?
}

/// A dataset's source value -> class table and annotated-class mask against one tree.
public struct DatasetLabels: Sendable, Equatable {
    /// The dataset folder's name (e.g. "word").
    public let name: String
    /// The dataset folder, when read from disk.
    public let directory: URL?
    public let file: LabelFile
    /// Class index of each source value (line of tree-labels.txt). As in SALT, a `-` line maps to class 0;
    /// it only teaches anything where class 0 is annotated. Value 255 (not a line) is ignore.
    public let table: [Int]
    /// Per class: does this dataset annotate it (explicitly, or every child is annotated)?
    public let annotated: [Bool]
    /// Split name ("train", "val", "test", ...) -> cases, sorted by file name. Empty when not on disk.
    public var splits: [String: [DatasetCase]]

    /// Maps `file` onto `tree`; every path must be a node of it.
    public init(name: String, file: LabelFile, tree: LabelTree, directory: URL? = nil, splits: [String: [DatasetCase]] = [:]) throws {
        var table: [Int] = []
        var explicit: [Int] = []
        for (i, path) in file.paths.enumerated() {
            guard let path else { table.append(0); continue }
            guard let c = tree.index(of: path) else {
                throw LabelError.pathNotInTree(file: file.treeLabelsFile, line: i + 1, path: path.joined(separator: ","))
            }
            table.append(c)
            explicit.append(c)
        }
        self.name = name
        self.directory = directory
        self.file = file
        self.table = table
        self.annotated = tree.annotatedMask(explicit: explicit)
        self.splits = splits
    }

    /// Classes this dataset annotates, ascending.
    public var annotatedClasses: [Int] { annotated.indices.filter { annotated[$0] } }

    /// A 256-entry byte table for converting label volumes: lines -> class, 255 -> 255 (ignore). Values the
    /// files do not describe also become 255, so they are ignored rather than silently taken as class 0
    /// (SALT's table maps them to 0); `undescribedValues` finds them so callers can report them.
    public var lookupTable: [UInt8] {
        var lut = Array(repeating: UInt8(255), count: 256)
        for (v, c) in table.enumerated() { lut[v] = UInt8(c) }
        return lut
    }

    /// Source values present in `values` that no line describes (and are not 255), ascending.
    public func undescribedValues<S: Sequence>(in values: S) -> [Int] where S.Element: BinaryInteger {
        var seen = Set<Int>()
        for v in values {
            let i = Int(v)
            if i != 255 && (i < 0 || i >= table.count) { seen.insert(i) }
        }
        return seen.sorted()
    }
}

/// A merged tree and every dataset mapped onto it: what training, conversion and evaluation share.
public struct LabelSet: Sendable, Equatable {
    public let tree: LabelTree
    /// Datasets in name order.
    public let datasets: [DatasetLabels]

    public func dataset(named name: String) -> DatasetLabels? { datasets.first { $0.name == name } }

    /// Merges named label files (plus sink paths) into one tree and maps each onto it.
    public static func merge(_ files: [(name: String, file: LabelFile)], sinks: [[String]] = []) throws -> LabelSet {
        try merge(files.map { ($0.name, $0.file, nil, [:]) }, sinks: sinks)
    }

    static func merge(_ items: [(name: String, file: LabelFile, directory: URL?, splits: [String: [DatasetCase]])],
                      sinks: [[String]]) throws -> LabelSet {
        var byName: [String: [String]] = [:]
        for item in items { byName[item.name, default: []].append(item.directory?.path ?? item.name) }
        if let (name, dirs) = byName.first(where: { $0.value.count > 1 }) {
            throw LabelError.duplicateDataset(name: name, directories: dirs)
        }
        let sortedItems = items.sorted { $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) { $0.value < $1.value } }
        let allPaths = sortedItems.flatMap { $0.file.paths.compactMap { $0 } }
        let tree = try LabelTree(paths: allPaths, sinks: sinks, datasets: sortedItems.map(\.name))
        let datasets = try sortedItems.map {
            try DatasetLabels(name: $0.name, file: $0.file, tree: tree, directory: $0.directory, splits: $0.splits)
        }
        return LabelSet(tree: tree, datasets: datasets)
    }

    /// Reads explicit dataset folders (each with tree-labels.txt, optionally labels.txt and splits) and
    /// an optional `tree-additional-labels.txt` of sink nodes.
    public static func load(datasets directories: [URL], additionalLabels: URL? = nil) throws -> LabelSet {
        var items: [(name: String, file: LabelFile, directory: URL?, splits: [String: [DatasetCase]])] = []
        for dir in directories {
            let file = try LabelFile.read(directory: dir)
            items.append((dir.standardizedFileURL.lastPathComponent, file, dir, try findSplits(dir)))
        }
        let sinks = try additionalLabels.map { try LabelFile.readSinks($0) } ?? []
        return try merge(items, sinks: sinks)
    }

    /// Discovers every dataset under a data root in SALT's layout: folders holding `tree-labels.txt`
    /// (searched recursively, not inside a dataset), plus `<root>/tree-additional-labels.txt` if present.
    public static func discover(root: URL) throws -> LabelSet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir) else {
            throw LabelError.unreadable(path: root.path, reason: "no such directory")
        }
        guard isDir.boolValue else { throw LabelError.unreadable(path: root.path, reason: "not a directory") }
        let dirs = try datasetDirectories(under: root)
        guard !dirs.isEmpty else { throw LabelError.noDatasets(root: root.path) }
        let extra = root.appendingPathComponent("tree-additional-labels.txt")
        return try load(datasets: dirs, additionalLabels: FileManager.default.fileExists(atPath: extra.path) ? extra : nil)
    }

    /// Folders holding tree-labels.txt, at most `depth` levels down (a bound instead of SALT's unbounded
    /// rglob, so symlink cycles and huge raw-data folders beside the datasets are not walked).
    static func datasetDirectories(under dir: URL, depth: Int = 4) throws -> [URL] {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir.appendingPathComponent("tree-labels.txt").path) { return [dir] }
        if depth == 0 { return [] }
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: dir.path) } catch {
            throw LabelError.unreadable(path: dir.path, reason: error.localizedDescription)
        }
        var found: [URL] = []
        for e in entries.sorted() where !e.hasPrefix(".") {
            let sub = dir.appendingPathComponent(e)
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: sub.path, isDirectory: &isDir), isDir.boolValue {
                found += try datasetDirectories(under: sub, depth: depth - 1)
            }
        }
        return found
    }

    /// Subfolders holding `images/`: each is a split; cases are `images/*.nii.gz` with `labels/` namesakes.
    static func findSplits(_ dir: URL) throws -> [String: [DatasetCase]] {
        let fm = FileManager.default
        var splits: [String: [DatasetCase]] = [:]
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: dir.path) } catch {
            throw LabelError.unreadable(path: dir.path, reason: error.localizedDescription)
        }
        for e in entries.sorted() where !e.hasPrefix(".") {
            let images = dir.appendingPathComponent(e).appendingPathComponent("images")
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: images.path, isDirectory: &isDir), isDir.boolValue else { continue }
            let files: [String]
            do { files = try fm.contentsOfDirectory(atPath: images.path) } catch {
                throw LabelError.unreadable(path: images.path, reason: error.localizedDescription)
            }
            splits[e] = files.filter { $0.hasSuffix(".nii.gz") || $0.hasSuffix(".nii") }.sorted().map { f in
                let label = dir.appendingPathComponent(e).appendingPathComponent("labels").appendingPathComponent(f)
                return DatasetCase(image: images.appendingPathComponent(f),
                                   label: fm.fileExists(atPath: label.path) ? label : nil)
            }
        }
        return splits
    }
}
