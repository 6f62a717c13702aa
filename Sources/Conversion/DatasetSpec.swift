// The description of one dataset format, independent of the file syntax it was read from
// (`DatasetSpec+Loading.swift` reads it from YAML). A spec says:
//   - where cases are (`CaseLayout`): path patterns with `{case}` (and `{split}`, `{structure}`), or the
//     MSD / nnU-Net `dataset.json`;
//   - what a label file holds (`LabelEncoding`): values, values named by a NIfTI <LabelTable>, or one
//     mask file per structure;
//   - the output classes (`LabelClass`, output value = position in the list): name, tree path, and which
//     source values or names feed each class (merges are several sources feeding one class);
//   - the split rule, and the known fixes for the dataset's quirks.

/// The three splits of SALT's layout.
public enum Split: String, CaseIterable, Comparable, Sendable {
    case train, val, test
    public static func < (a: Split, b: Split) -> Bool { a.order < b.order }
    var order: Int { switch self { case .train: 0; case .val: 1; case .test: 2 } }
}

public struct DatasetSpec: Equatable, Sendable {
    /// The format name (`--format NAME`), normally the spec file's base name.
    public var name: String
    /// One line for `salt convert --help` and the README.
    public var summary: String = ""
    /// Where cases are found.
    public var layout: CaseLayout
    /// What a label file holds.
    public var encoding: LabelEncoding = .values
    /// Output classes; output value = index. Value 255 is always "ignore" and never listed.
    public var classes: [LabelClass]
    /// Output case name from the captured `{case}`: `{case}` or `{case:N}` (digits zero-padded to N).
    public var caseName: String = "{case}"
    public var split: SplitRule = SplitRule()
    /// What to do with an image that has no label file.
    public var unlabelled: UnlabelledPolicy = .error
    public var fixes: Fixes = Fixes()
    /// Class names written as "-" when no case of the dataset annotates them (structure masks and
    /// label tables list what they annotate; a class never listed is not annotated by this dataset).
    public var pruneUnannotated: Bool = false

    public init(name: String, layout: CaseLayout, classes: [LabelClass]) {
        self.name = name
        self.layout = layout
        self.classes = classes
    }
}

/// How images and labels are found in the source folder.
public enum CaseLayout: Equatable, Sendable {
    /// Path patterns relative to the source folder. `{case}` captures the case id (no '/'), `{split}`
    /// a split token (mapped by `SplitRule.tokens`), `*` any characters but '/', a `**` component any
    /// number of folders. A pattern ending in `.nii` also matches `.nii.gz` and the reverse.
    /// `image` may name a folder of DICOM files when `imageKind` is `.dicom`.
    case patterns(image: String, label: String?, imageKind: ImageKind)
    /// The Medical Segmentation Decathlon / nnU-Net `dataset.json` at the given relative path: its
    /// `training` / `validation` / `test` lists (MSD, AMOS) or `imagesTr/<case>_0000` + `labelsTr/<case>`
    /// (nnU-Net v2), and its `labels` naming the values.
    case datasetJSON(file: String)
}

public enum ImageKind: String, Equatable, Sendable {
    case nifti, dicom
}

/// What one case's label data is.
public enum LabelEncoding: Equatable, Sendable {
    /// A label map whose values are mapped by the classes' `sourceValues`.
    case values
    /// A label map naming its values in a NIfTI `<LabelTable>` header extension (TotalSegmentator
    /// outputs); names are mapped to classes by name.
    case labelTable
    /// One 0/1 mask per structure, found by a pattern with `{case}` and `{structure}`
    /// (TotalSegmentator's dataset: `{case}/segmentations/{structure}.nii.gz`). Overlaps: the class
    /// later in `classes` wins (as TotalSegmentator's own `combine_masks` does).
    case structureMasks(pattern: String)
    /// A label map whose values `dataset.json` names (MSD / nnU-Net); names are mapped to classes.
    case datasetJSONNames
}

/// One output class (one line of labels.txt and tree-labels.txt).
public struct LabelClass: Equatable, Sendable {
    /// The name written to labels.txt.
    public var name: String
    /// A comma-separated tree path from the root, or "-" when the dataset does not annotate it.
    public var path: String
    /// Source label values feeding this class (`.values` encoding). Empty: none.
    public var sourceValues: [Int]
    /// Other spellings of the name in the source (label tables, mask files, dataset.json).
    public var aliases: [String]

    public init(name: String, path: String, sourceValues: [Int] = [], aliases: [String] = []) {
        self.name = name
        self.path = path
        self.sourceValues = sourceValues
        self.aliases = aliases
    }

    /// Whether `path` marks the class as annotated.
    public var isAnnotated: Bool { path != "-" }
}

public enum UnlabelledPolicy: String, Equatable, Sendable {
    /// An image without a label file is an error naming the case.
    case error
    /// Cases without a label (KiTS19's test cases, MSD's imagesTs) are left out and counted in the summary.
    case skip
    /// Cases without a label are converted as images only (no file in labels/): inputs for prediction.
    case keep
}

/// How a case gets its split. Applied in order: a `--split` override, `tokens` (from `{split}` in the
/// path or the dataset.json list), `csv`, `ids`, then `fallback`; finally `valFraction` of the train
/// cases move to val by a stable hash of the case name.
public struct SplitRule: Equatable, Sendable {
    /// `{split}` token (or dataset.json list name) -> split, e.g. `Tr: train, Val: val, Ts: test`.
    public var tokens: [String: Split] = [:]
    public var csv: CSVSplit? = nil
    /// Numeric case ids -> split, e.g. CT-ORG's test cases 0-20.
    public var ids: [IDRange] = []
    /// The split of a case no rule above assigns.
    public var fallback: Split = .train
    /// Fraction (0..<1) of train cases moved to val, chosen by a stable hash of the case name.
    public var valFraction: Double = 0

    public init() {}
}

public struct CSVSplit: Equatable, Sendable {
    /// Candidate file names relative to the source folder; the first that exists is read.
    public var files: [String]
    /// Column holding the case id (matched against the captured `{case}`).
    public var caseColumn: String
    /// Column holding the split value.
    public var splitColumn: String
    /// Split value -> split (`fold-1: train`, `test: test`); a value not listed is an error naming it.
    public var values: [String: Split]
    /// Whether a case with no row is an error (true) or falls through to the later rules.
    public var required: Bool = true

    public init(files: [String], caseColumn: String, splitColumn: String, values: [String: Split], required: Bool = true) {
        self.files = files
        self.caseColumn = caseColumn
        self.splitColumn = splitColumn
        self.values = values
        self.required = required
    }
}

public struct IDRange: Equatable, Sendable {
    public var lower: Int
    public var upper: Int
    public var split: Split
    public init(_ lower: Int, _ upper: Int, _ split: Split) {
        self.lower = lower
        self.upper = upper
        self.split = split
    }
}

/// Known quirks a spec may allow the converter to repair.
public struct Fixes: Equatable, Sendable {
    /// Largest displacement (mm) of a grid corner between image and label affines that is treated as a
    /// header error and repaired by giving the label the image's header (LiTS). 0: never repair. Grids
    /// that agree within 1e-3 mm are equal; shapes must always match.
    public var headerToleranceMM: Double = 0
    /// Round non-integer label values (some tools store labels as float with noise) instead of failing.
    public var roundLabels: Bool = false

    public init() {}
}
