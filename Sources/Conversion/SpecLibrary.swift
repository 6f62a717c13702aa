// Finds the spec of a format by name: `conversion/<name>.yaml`. The folder is looked for in
// $SALT_CONVERSION_SPECS, then beside and above the running executable (a checkout's
// .build/release/salt finds the checkout's conversion/), then above the current folder.
import Foundation

public struct SpecLibrary: Sendable {
    /// Folders that exist and were searched, in order.
    public let folders: [String]

    public init(folders: [String]) { self.folders = folders }

    /// The default search path described above.
    public static func standard() -> SpecLibrary {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["SALT_CONVERSION_SPECS"], !env.isEmpty { candidates.append(env) }
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        for start in [exe.deletingLastPathComponent(), URL(fileURLWithPath: FileManager.default.currentDirectoryPath)] {
            var dir = start.standardizedFileURL
            while true {
                candidates.append(dir.appendingPathComponent("conversion").path)
                if dir.path == "/" { break }
                dir.deleteLastPathComponent()
            }
        }
        var seen = Set<String>()
        let folders = candidates.filter { f in
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: f, isDirectory: &isDir), isDir.boolValue,
                  FileManager.default.fileExists(atPath: f + "/README.md") else { return false }
            return seen.insert(f).inserted
        }
        // The first folder wins: a checkout's own specs, not some other conversion/ further up.
        return SpecLibrary(folders: Array(folders.prefix(1)))
    }

    /// Format names (spec files' base names) of the first folder, sorted.
    public var known: [String] {
        guard let f = folders.first else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: f)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The spec file for `name`, or an error listing the known formats.
    public func file(for name: String) throws -> String {
        for f in folders {
            let path = f + "/" + name + ".yaml"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw ConversionError.unknownFormat(name, known: known, searched: folders)
    }

    /// Loads the named format's spec.
    public func spec(named name: String) throws -> DatasetSpec {
        try DatasetSpec.load(file: file(for: name))
    }
}
