// The one error type of the Labels target: every case names the file (and line) or the nodes at fault.

/// What can go wrong reading label files or building a label tree.
public enum LabelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file could not be read.
    case unreadable(path: String, reason: String)
    /// A file or folder could not be written.
    case unwritable(path: String, reason: String)
    /// A path line such as `body,,liver` or `body,liver,` has an empty part.
    case emptyPathPart(file: String, line: Int, text: String)
    /// More than 255 lines: value 255 is reserved for "ignore", so a label file describes values 0...254.
    case tooManyLines(file: String, count: Int)
    /// `labels.txt` and `tree-labels.txt` must describe the same values, line for line.
    case lineCountMismatch(labelsFile: String, labelsLines: Int, treeFile: String, treeLines: Int)
    /// A line's path is not a node of the tree it is read against (e.g. a model's exported tree).
    case pathNotInTree(file: String, line: Int, path: String)
    /// Nodes with exactly one child: the tree softmax of a single child is always 1, so such a node is
    /// indistinguishable from its child. `nodes` are comma-joined paths in class order.
    case singleChildNodes(nodes: [String], datasets: [String])
    /// More classes than a byte can index (255 is "ignore").
    case tooManyClasses(count: Int)
    /// A data root without any `<dataset>/tree-labels.txt`.
    case noDatasets(root: String)
    /// A dataset folder without `tree-labels.txt`.
    case missingTreeLabels(directory: String)
    /// Two datasets with the same folder name.
    case duplicateDataset(name: String, directories: [String])
    /// A tree JSON document that is not what `LabelTree.jsonObject` writes.
    case malformedTreeJSON(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .unwritable(path, reason):
            return "\(path): cannot write: \(reason)"
        case let .emptyPathPart(file, line, text):
            return "\(file):\(line): path '\(text)' has an empty part; write the path from the root with names separated by single commas (e.g. body,abdominal_cavity,liver), or '-' for a value that is not annotated"
        case let .tooManyLines(file, count):
            return "\(file):256: the file has \(count) lines but describes at most values 0...254 (255 means ignore); remove the extra lines"
        case let .lineCountMismatch(labelsFile, labelsLines, treeFile, treeLines):
            return "\(labelsFile) has \(labelsLines) lines but \(treeFile) has \(treeLines); both describe the same label values, one line per value, so they must have the same number of lines"
        case let .pathNotInTree(file, line, path):
            return "\(file):\(line): path '\(path)' is not a node of the label tree; use one of the tree's paths (see 'salt tree') or '-'"
        case let .singleChildNodes(nodes, datasets):
            let from = datasets.isEmpty ? "" : " (label sets: \(datasets.joined(separator: ", ")))"
            return "label tree has nodes with exactly one child\(from): \(nodes.joined(separator: "; ")); a tree softmax over one child is constant, so give each such node a second child (e.g. '<node>,other') or merge the child into it"
        case let .tooManyClasses(count):
            return "label tree has \(count) classes; at most 255 fit a byte-valued class map (255 = ignore)"
        case let .noDatasets(root):
            return "\(root): no dataset found; expected <root>/<dataset>/tree-labels.txt (SALT layout)"
        case let .missingTreeLabels(directory):
            return "\(directory): no tree-labels.txt; a dataset folder needs tree-labels.txt (and labels.txt) describing its label values"
        case let .duplicateDataset(name, directories):
            return "two datasets are named '\(name)': \(directories.joined(separator: ", ")); rename one folder"
        case let .malformedTreeJSON(path, reason):
            return "\(path): not a salt label tree JSON: \(reason)"
        }
    }
}
