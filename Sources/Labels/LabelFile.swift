// One dataset's label files: `tree-labels.txt` (one line per source label value: a comma-separated path
// from the root, or `-` / an empty line for a value that is not annotated) and `labels.txt` (the source
// names, line for line).
import Foundation

/// The parsed label files of one dataset.
public struct LabelFile: Sendable, Equatable {
    /// Source names from labels.txt (line i describes value i); "value i" where labels.txt is absent.
    public var sourceNames: [String]
    /// Tree path of each source value, nil for `-` (not annotated).
    public var paths: [[String]?]
    /// Where the tree labels came from (for messages).
    public var treeLabelsFile: String

    public init(sourceNames: [String], paths: [[String]?], treeLabelsFile: String) {
        precondition(sourceNames.count == paths.count, "\(sourceNames.count) names for \(paths.count) paths")
        self.sourceNames = sourceNames
        self.paths = paths
        self.treeLabelsFile = treeLabelsFile
    }

    /// Parses file contents. `labels` may be nil (no labels.txt); names then default to "value i".
    public init(treeLabels: String, treeLabelsFile: String, labels: String? = nil, labelsFile: String = "labels.txt") throws {
        let treeLines = LabelFile.lines(treeLabels)
        guard treeLines.count <= 255 else { throw LabelError.tooManyLines(file: treeLabelsFile, count: treeLines.count) }
        var paths: [[String]?] = []
        for (i, line) in treeLines.enumerated() {
            paths.append(try LabelFile.parsePath(line, file: treeLabelsFile, line: i + 1))
        }
        var names: [String]
        if let labels {
            names = LabelFile.lines(labels).map { $0.trimmingCharacters(in: .whitespaces) }
            guard names.count <= 255 else { throw LabelError.tooManyLines(file: labelsFile, count: names.count) }
            guard names.count == paths.count else {
                throw LabelError.lineCountMismatch(labelsFile: labelsFile, labelsLines: names.count,
                                                   treeFile: treeLabelsFile, treeLines: paths.count)
            }
        } else {
            names = paths.indices.map { "value \($0)" }
        }
        self.init(sourceNames: names, paths: paths, treeLabelsFile: treeLabelsFile)
    }

    /// Reads `<directory>/tree-labels.txt` and, if present, `<directory>/labels.txt`.
    public static func read(directory: URL) throws -> LabelFile {
        let tree = directory.appendingPathComponent("tree-labels.txt")
        guard FileManager.default.fileExists(atPath: tree.path) else {
            throw LabelError.missingTreeLabels(directory: directory.path)
        }
        let labels = directory.appendingPathComponent("labels.txt")
        let labelsText = FileManager.default.fileExists(atPath: labels.path) ? try readText(labels) : nil
        return try LabelFile(treeLabels: try readText(tree), treeLabelsFile: tree.path,
                             labels: labelsText, labelsFile: labels.path)
    }

    /// Reads `tree-additional-labels.txt`: one sink path per line (empty lines and `-` skipped).
    public static func readSinks(_ url: URL) throws -> [[String]] {
        let text = try readText(url)
        var sinks: [[String]] = []
        for (i, line) in lines(text).enumerated() {
            if let path = try parsePath(line, file: url.path, line: i + 1) { sinks.append(path) }
        }
        return sinks
    }

    /// Splits like Python's `str.splitlines()` for the files we meet: "\n", "\r\n" and "\r" end a line;
    /// a final line ending does not start an extra empty line.
    static func lines(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var previousWasCR = false
        for ch in text.unicodeScalars {
            if ch == "\n" {
                if !previousWasCR { out.append(current) }
                current = ""
                previousWasCR = false
            } else if ch == "\r" {
                out.append(current)
                current = ""
                previousWasCR = true
            } else {
                current.unicodeScalars.append(ch)
                previousWasCR = false
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// A path line: nil for `-` or an empty line; otherwise its non-empty, whitespace-trimmed parts.
    static func parsePath(_ raw: String, file: String, line: Int) throws -> [String]? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || text == "-" { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.contains(where: \.isEmpty) { throw LabelError.emptyPathPart(file: file, line: line, text: text) }
        return parts
    }

    static func readText(_ url: URL) throws -> String {
        do {
            let data = try Data(contentsOf: url)
            guard let s = String(data: data, encoding: .utf8) else {
                throw LabelError.unreadable(path: url.path, reason: "not UTF-8 text")
            }
            return s
        } catch let e as LabelError {
            throw e
        } catch {
            throw LabelError.unreadable(path: url.path, reason: "\(error.localizedDescription)")
        }
    }
}
