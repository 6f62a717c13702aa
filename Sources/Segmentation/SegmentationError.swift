// Every error the segmentation workflow reports to a user: each names the case or file and says what to do.

public enum SegmentationError: Error, CustomStringConvertible, Equatable {
    /// A folder that should hold NIfTI files holds none.
    case emptyFolder(path: String, expected: String)
    /// A path that does not exist.
    case missing(path: String, what: String)
    /// A prediction or label volume whose grid (shape or affine) differs from the volume it must match.
    case gridMismatch(caseName: String, file: String, other: String, detail: String)
    /// Label values that no line of the dataset's tree-labels.txt describes.
    case valuesNotInTree(caseName: String, file: String, values: [Int], labelFile: String)
    /// A prediction whose values are not classes of the model's tree.
    case invalidPrediction(caseName: String, file: String, detail: String)
    /// A prediction without a reference label (or the reverse).
    case unmatchedCase(caseName: String, file: String, detail: String)
    /// An image smaller than the training patch after resampling.
    case imageTooSmall(caseName: String, file: String, shape: [Int], patch: [Int])
    /// A node name that is not in the tree.
    case unknownNode(name: String, known: [String])
    /// A model, checkpoint or cache file that cannot be read.
    case unreadable(path: String, reason: String)
    /// Writing an output failed; nothing is left under the final name.
    case writeFailed(path: String, reason: String)
    /// Settings that cannot work together.
    case invalidSetting(name: String, detail: String)
    /// A data root without any training cases.
    case noTrainingCases(root: String, detail: String)

    public var description: String {
        switch self {
        case .emptyFolder(let p, let expected):
            return "\(p): no \(expected) found; put the .nii.gz files there or point to the right folder"
        case .missing(let p, let what):
            return "\(p): \(what) does not exist; check the path"
        case .gridMismatch(let c, let f, let o, let d):
            return "case '\(c)': \(f) is not on the grid of \(o) (\(d)); the two must share shape and affine (resample one onto the other)"
        case .valuesNotInTree(let c, let f, let v, let l):
            return "case '\(c)': \(f) holds label value(s) \(v.map(String.init).joined(separator: ", ")) that no line of \(l) describes; add a line per value (a tree path, or '-' if not annotated) or use 255 for voxels to ignore"
        case .invalidPrediction(let c, let f, let d):
            return "case '\(c)': \(f): \(d)"
        case .unmatchedCase(let c, let f, let d):
            return "case '\(c)': \(f): \(d)"
        case .imageTooSmall(let c, let f, let s, let p):
            return "case '\(c)': \(f) is \(s.map(String.init).joined(separator: "x")) voxels at the model spacing, smaller than the patch \(p.map(String.init).joined(separator: "x")) on some axis; it is padded to the patch, so this is only an error if padding is disabled"
        case .unknownNode(let n, let known):
            let shown = known.prefix(12).joined(separator: ", ")
            return "no tree node named '\(n)'; give a class path ('body,abdominal_cavity,liver') or a unique last part ('liver'); nodes include: \(shown)\(known.count > 12 ? ", ..." : "")"
        case .unreadable(let p, let r):
            return "\(p): cannot be read: \(r)"
        case .writeFailed(let p, let r):
            return "\(p): cannot be written: \(r)"
        case .invalidSetting(let n, let d):
            return "\(n): \(d)"
        case .noTrainingCases(let r, let d):
            return "\(r): no training cases: \(d)"
        }
    }
}
