// The state of each stage, one small JSON file per stage (`.salt/state/<stage>.json`), replaced atomically
// after the stage succeeds: updating one stage costs the same in a pipeline of 5 stages or 5000. The run
// cache (`.salt/runs/<ab>/<key>.json`) holds the same records under their keys: every key ever completed.
import Foundation

/// The last successful run of a stage.
struct StageRecord: Codable, Equatable {
    /// The stage key (hex XXH3-128).
    var key: String
    /// The digest of the definition alone, and the definition as text per field (to name what changed).
    var definitionDigest: String
    var definition: [String: String]
    /// Input path -> `PathHash` text (`<hex>` or `dir:<hex>`).
    var inputs: [String: String]
    /// Output path -> `PathHash` text.
    var outputs: [String: String]
    /// How long the command took when it last ran (restores keep the original figure).
    var seconds: Double
}

enum RecordStore {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return e
    }()

    static func read<T: Decodable>(_ type: T.Type, at path: String) throws -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw RunnerError.corruptRecord(path, reason: "\(error)")
        }
    }

    static func write<T: Encodable>(_ value: T, to path: String, workspace: Workspace) throws {
        let data = try encoder.encode(value)
        do {
            try AtomicFile.write(data, to: path, temporaryDirectory: workspace.temporaryDirectory)
        } catch RunnerError.io(let f, _, let code) where code == ENOENT && f == "rename" {
            try FileSystemOps.makeDirectories((path as NSString).deletingLastPathComponent)
            try AtomicFile.write(data, to: path, temporaryDirectory: workspace.temporaryDirectory)
        }
    }
}
