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
    /// The command's other options (values and flags, not paths): with the paths, every option it accepts,
    /// so a misspelt option is caught when the file is loaded, not after the upstream stages ran.
    public var values: [String]
    /// Input options the command takes more than once: a list becomes `--opt a --opt b`. Any other path
    /// option takes one path (a list would reach the command as one comma-joined path).
    public var repeatable: Set<String>
    /// Outputs written only when their option is given (export's label tables).
    public var optionalOutputs: Set<String>
    public var summary: String

    public init(name: String, version: Int, inputs: [String], optionalInputs: Set<String> = [], outputs: [String],
                optionalOutputs: Set<String> = [], values: [String] = [], repeatable: Set<String> = [], summary: String) {
        self.name = name
        self.version = version
        self.inputs = inputs
        self.optionalInputs = optionalInputs
        self.outputs = outputs
        self.optionalOutputs = optionalOutputs
        self.values = values
        self.repeatable = repeatable
        self.summary = summary
    }

    /// Every option the command accepts.
    public var options: [String] { inputs + outputs + values }

    /// Every registered kind; option names are the commands' own (`data-dir`, written without dashes).
    /// When all of a kind's inputs are optional, at least one must be given (tree: a data root or datasets).
    public static let all: [BuiltinKind] = [
        BuiltinKind(name: "convert", version: 1, inputs: ["source", "spec"], optionalInputs: ["spec"], outputs: ["output"],
                    values: ["format", "spacing", "split", "body-mask", "body-path", "previews"],
                    summary: "a public dataset -> SALT layout"),
        BuiltinKind(name: "tree", version: 1, inputs: ["data-dir", "dataset"], optionalInputs: ["data-dir", "dataset"], outputs: ["output-dir"],
                    repeatable: ["dataset"],
                    summary: "merge datasets' label trees"),
        BuiltinKind(name: "train", version: 1, inputs: ["data-dir", "resume-from"], optionalInputs: ["resume-from"], outputs: ["output-dir"],
                    values: ["epochs", "steps-per-epoch", "batch-size", "patch", "spacing", "filters", "val-every", "seed",
                             "lr", "sink-weight", "slab-probability", "intensity-scale", "air-padding", "intensity", "resume", "cache-dir"],
                    summary: "train a network"),
        BuiltinKind(name: "export", version: 1, inputs: ["train-dir"], outputs: ["model-file", "label-tables"], optionalOutputs: ["label-tables"],
                    summary: "one model file from a training run"),
        BuiltinKind(name: "predict", version: 1, inputs: ["model-file", "input"], outputs: ["output-dir"],
                    values: ["nodes", "probabilities", "lcc"],
                    summary: "label maps for a folder of scans"),
        BuiltinKind(name: "evaluate", version: 1, inputs: ["predictions", "data-dir"], outputs: ["output-dir"],
                    values: ["include-background", "tolerances"],
                    summary: "per-node metrics of predictions"),
    ]

    public static func named(_ name: String) -> BuiltinKind? { all.first { $0.name == name } }
}
