// The FILE argument shared by run / status / dag / gc: the first positional that names a YAML file (or an
// existing file, not a folder); otherwise pipeline.yaml or salt.yaml in the current directory. The rest are stage names.
import Conversion
import Foundation
import Pipeline

struct PipelineFileArgument {
    var file: String
    var stages: [String]

    init(_ positionals: [String]) throws {
        var rest = positionals
        if let first = rest.first,
           first.hasSuffix(".yaml") || first.hasSuffix(".yml") || Self.isFile(first) {
            file = first
            rest.removeFirst()
        } else {
            file = try Pipeline.defaultFile(in: FileManager.default.currentDirectoryPath)
        }
        stages = rest
    }

    /// A file, not a folder: `salt run train` in a workspace with a `train/` folder names the stage.
    static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

extension PipelineFileArgument {
    /// Loads the pipeline file with `--set` overrides and the inputs built-in kinds read without an option
    /// naming them: `uses: convert` with `format: NAME` (and no `spec:`) reads conversion/NAME.yaml, so an
    /// edit of that spec reruns the stage. The children are pointed at the same spec folder
    /// ($SALT_CONVERSION_SPECS) so that what is hashed is what they read, whatever their directory.
    func load(overrides: [String]) throws -> Pipeline {
        try Pipeline.load(file: file, overrides: overrides.map(Override.init)) { kind, options in
            guard kind == "convert", options["spec"] == nil || options["spec"] == .null,
                  case .string(let format)? = options["format"] else { return [] }
            // Looked for only when a convert stage needs it (a no-op run of shell stages stays a few stats).
            let library = SpecLibrary.standard()
            if let folder = library.folders.first, (ProcessInfo.processInfo.environment["SALT_CONVERSION_SPECS"] ?? "").isEmpty {
                setenv("SALT_CONVERSION_SPECS", folder, 1)
            }
            // An unknown format is not an input: the stage's own run says which formats exist.
            guard let path = try? library.file(for: format) else { return [] }
            return [path]
        }
    }
}
