// A label folder (labels/<dataset>/ or SALT's label files): labels.txt and tree-labels.txt line for line,
// read as output classes (line number = value). TotalSegmentator names, for one, map to tree paths this way.
import Foundation

enum NameCatalogue {
    static func read(folder: String) throws -> [LabelClass] {
        func lines(_ name: String) throws -> [String] {
            let file = folder + "/" + name
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConversionError.invalidOption("cannot read '\(file)'")
            }
            var out = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            while out.last == "" { out.removeLast() }
            return out
        }
        let names = try lines("labels.txt")
        let paths = try lines("tree-labels.txt")
        guard names.count == paths.count else {
            throw ConversionError.invalidOption("'\(folder)': labels.txt has \(names.count) lines, tree-labels.txt \(paths.count); they must match line for line")
        }
        return zip(names, paths).enumerated().map { i, p in
            LabelClass(name: p.0, path: p.1.isEmpty ? "-" : p.1, sourceValues: [i])
        }
    }
}
