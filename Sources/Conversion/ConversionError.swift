// Every error the conversion of a dataset can raise; each names the culprit (case, file, value) and says
// what to do about it.
import Foundation

public enum ConversionError: Error, CustomStringConvertible, Equatable {
    /// `--format NAME` names no spec file.
    case unknownFormat(String, known: [String], searched: [String])
    /// A spec file is malformed.
    case badSpec(file: String, line: Int, column: Int, message: String)
    /// The source folder does not exist or holds no case.
    case noCases(source: String, pattern: String)
    /// Two files claim the same case.
    case duplicateCase(String, first: String, second: String)
    /// An image has no label file.
    case missingLabel(case: String, image: String, expected: String)
    /// A label map holds a value the spec does not map.
    case unknownLabelValue(case: String, value: Int, file: String, known: [Int])
    /// A structure or label-table name the spec (or its name catalogue) does not know.
    case unknownLabelName(case: String, name: String, file: String)
    /// Image and label grids differ by more than a header error.
    case gridMismatch(case: String, detail: String)
    /// A file could not be read or has an unusable content.
    case badInput(case: String, file: String, detail: String)
    /// A CSV table lacks a column, or a case has no row in it.
    case csv(file: String, detail: String)
    /// dcm2niix is not installed, failed, or wrote no (or several) volumes.
    case dicom(case: String, detail: String)
    /// Writing the output failed.
    case output(path: String, detail: String)
    /// A combination of options cannot work.
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .unknownFormat(name, known, searched):
            let where_ = searched.isEmpty
                ? " (no conversion/ folder with a README.md beside the executable or the current folder; set SALT_CONVERSION_SPECS)"
                : " (specs in \(searched.joined(separator: ", ")))"
            return "unknown format '\(name)'; known formats: \(known.isEmpty ? "none found" : known.joined(separator: ", "))\(where_); "
                + "pass --spec FILE for a spec of your own"
        case let .badSpec(file, line, column, message):
            return "\(file):\(line):\(column): \(message)"
        case let .noCases(source, pattern):
            return "no case found in '\(source)' matching '\(pattern)'; check --source points at the dataset's top folder"
        case let .duplicateCase(name, first, second):
            return "case '\(name)' is matched by two files, '\(first)' and '\(second)'; make the spec's pattern more specific"
        case let .missingLabel(name, image, expected):
            return "case '\(name)': no label file for image '\(image)' (expected '\(expected)'); "
                + "restore it, or set 'unlabelled: skip' (leave such cases out) or 'keep' (images only) in the spec"
        case let .unknownLabelValue(name, value, file, known):
            return "case '\(name)': label value \(value) in '\(file)' is not mapped by the spec (known: \(known.map(String.init).joined(separator: ", "))); "
                + "add it to the spec's classes"
        case let .unknownLabelName(name, label, file):
            return "case '\(name)': label '\(label)' in '\(file)' has no class in the spec or its name catalogue; "
                + "add it (with its tree path, or '-') to the spec's classes"
        case let .gridMismatch(name, detail):
            return "case '\(name)': image and label grids differ: \(detail)"
        case let .badInput(name, file, detail):
            return "case '\(name)': \(file): \(detail)"
        case let .csv(file, detail):
            return "\(file): \(detail)"
        case let .dicom(name, detail):
            return "case '\(name)': DICOM conversion: \(detail)"
        case let .output(path, detail):
            return "cannot write '\(path)': \(detail)"
        case let .invalidOption(message):
            return message
        }
    }
}
