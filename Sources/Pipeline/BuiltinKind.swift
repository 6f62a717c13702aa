// The registry of built-in stage kinds: pure data (no compute imports). Each kind is run as the child
// process `salt <kind> --<option> <value> ...`; the registry says which options name input paths (hashed
// into the key) and which name output paths (cached, written to a temporary path first). A kind's version
// is part of every key: bump it when the command's results change for the same inputs.

import YAML
public struct BuiltinKind: Sendable, Hashable {
    public var name: String
    public var version: Int
    /// Options naming paths the stage reads; required unless listed in `optionalInputs`.
    public var inputs: [String]
    public var optionalInputs: Set<String>
    /// Options naming paths the stage writes; always required.
    public var outputs: [String]
    public var summary: String

    public init(name: String, version: Int, inputs: [String], optionalInputs: Set<String> = [], outputs: [String], summary: String) {
        self.name = name
        self.version = version
        self.inputs = inputs
        self.optionalInputs = optionalInputs
        self.outputs = outputs
        self.summary = summary
    }

    /// Every registered kind; option names are the commands' own (`data-dir`, written without dashes).
    public static let all: [BuiltinKind] = [
        BuiltinKind(name: "convert", version: 1, inputs: ["source", "spec"], optionalInputs: ["spec"], outputs: ["output"],
                    summary: "a public dataset -> SALT layout"),
        BuiltinKind(name: "tree", version: 1, inputs: ["data-dir"], outputs: ["output-dir"],
                    summary: "merge datasets' label trees"),
        BuiltinKind(name: "train", version: 1, inputs: ["data-dir", "resume-from"], optionalInputs: ["resume-from"], outputs: ["output-dir"],
                    summary: "train a network"),
        BuiltinKind(name: "export", version: 1, inputs: ["train-dir"], outputs: ["model-file", "label-tables"],
                    summary: "one model file from a training run"),
        BuiltinKind(name: "predict", version: 1, inputs: ["model-file", "input"], outputs: ["output-dir"],
                    summary: "label maps for a folder of scans"),
        BuiltinKind(name: "evaluate", version: 1, inputs: ["predictions", "data-dir"], outputs: ["output-dir"],
                    summary: "per-node metrics of predictions"),
    ]

    public static func named(_ name: String) -> BuiltinKind? { all.first { $0.name == name } }
}
