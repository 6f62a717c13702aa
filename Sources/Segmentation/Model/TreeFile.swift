// tree.json: the class list written beside predictions (and inside model files), enough to rebuild the
// model's LabelTree exactly: {"classes": [[part, ...], ...], "sinks": [class, ...]}.
import Foundation
import Labels

enum TreeFile {
    static let name = "tree.json"

    static func jsonObject(_ tree: LabelTree) -> [String: Any] {
        ["classes": tree.paths, "sinks": tree.sinks]
    }

    /// Rebuilds the tree and checks the class order came back unchanged.
    static func tree(from object: Any, source: String) throws -> LabelTree {
        guard let dict = object as? [String: Any], let paths = dict["classes"] as? [[String]] else {
            throw SegmentationError.unreadable(path: source, reason: "no \"classes\" list of tree paths")
        }
        let sinkIndices = (dict["sinks"] as? [Int]) ?? []
        guard sinkIndices.allSatisfy({ $0 >= 0 && $0 < paths.count }) else {
            throw SegmentationError.unreadable(path: source, reason: "a sink index is not a class")
        }
        let tree = try LabelTree(paths: paths, sinks: sinkIndices.map { paths[$0] })
        guard tree.paths == paths else {
            throw SegmentationError.unreadable(path: source, reason: "its classes are not in salt's tree order; was it edited by hand?")
        }
        return tree
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
