// The FILE argument shared by run / status / dag / gc: the first positional that names a YAML file (or an
// existing file); otherwise pipeline.yaml or salt.yaml in the current directory. The rest are stage names.
import Foundation
import Pipeline

struct PipelineFileArgument {
    var file: String
    var stages: [String]

    init(_ positionals: [String]) throws {
        var rest = positionals
        if let first = rest.first,
           first.hasSuffix(".yaml") || first.hasSuffix(".yml") || FileManager.default.fileExists(atPath: first) {
            file = first
            rest.removeFirst()
        } else {
            file = try Pipeline.defaultFile(in: FileManager.default.currentDirectoryPath)
        }
        stages = rest
    }
}
