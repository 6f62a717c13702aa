// tree.json: the class list written beside predictions (and inside model files), enough to rebuild the
// model's LabelTree exactly: {"classes": [[part, ...], ...], "sinks": [class, ...]}.
import Foundation
import Labels

enum TreeFile {
    static let name = "tree.json"

    static func jsonObject(_ tree: LabelTree) -> [String: Any] { tree.jsonObject }

    /// Rebuilds the tree (Labels checks the classes come back in the same order).
    static func tree(from object: Any, source: String) throws -> LabelTree {
        try LabelTree(jsonObject: object, source: source)
    }

    static func read(_ url: URL) throws -> LabelTree {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SegmentationError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw SegmentationError.unreadable(path: url.path, reason: "not JSON: \(error.localizedDescription)")
        }
        return try tree(from: object, source: url.path)
    }

    static func data(_ tree: LabelTree) throws -> Data {
        try JSONSerialization.data(withJSONObject: jsonObject(tree), options: [.prettyPrinted, .sortedKeys])
    }
}
