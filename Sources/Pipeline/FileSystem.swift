// What loading and planning need from the file system, behind a protocol so tests can use a dictionary.
import YAML
import Foundation

public protocol FileSystem: Sendable {
    /// True when a file, directory or symbolic link exists at the absolute path.
    func exists(_ absolutePath: String) -> Bool
    /// The text of the file at the absolute path.
    func readText(_ absolutePath: String) throws -> String
    /// The absolute current directory (relative pipeline paths start there).
    var currentDirectory: String { get }
}

/// The real file system.
public struct LocalFileSystem: FileSystem {
    public init() {}

    public func exists(_ absolutePath: String) -> Bool {
        var st = stat()
        return lstat(absolutePath, &st) == 0
    }

    public func readText(_ absolutePath: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: absolutePath) else {
            throw PipelineError.unreadableFile(absolutePath)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw PipelineError.unreadableFile(absolutePath) }
        return text
    }

    public var currentDirectory: String { FileManager.default.currentDirectoryPath }
}

/// An in-memory file system for tests: the paths that exist and the texts of some of them.
public struct MemoryFileSystem: FileSystem {
    public var files: [String: String]
    public var currentDirectory: String

    public init(files: [String: String], currentDirectory: String = "/ws") {
        self.files = files
        self.currentDirectory = currentDirectory
    }

    public func exists(_ absolutePath: String) -> Bool {
        files[absolutePath] != nil || files.keys.contains { $0.hasPrefix(absolutePath + "/") }
    }

    public func readText(_ absolutePath: String) throws -> String {
        guard let text = files[absolutePath] else { throw PipelineError.unreadableFile(absolutePath) }
        return text
    }
}
