// One case found in a source folder, before conversion.

public struct SourceCase: Equatable, Sendable {
    /// The id captured by `{case}` (or taken from dataset.json): what CSV rows and id ranges refer to.
    public var id: String
    /// The output name (`<case>.nii.gz`), from the spec's `caseName` template.
    public var name: String
    /// Absolute path of the image file (or DICOM folder).
    public var image: String
    /// Absolute path of the label map; nil for structure masks (see `masks`) or an unlabelled case.
    public var label: String?
    /// Structure name -> absolute path of its mask, sorted by name (`.structureMasks` encoding).
    public var masks: [StructureMask] = []
    /// The split token from `{split}` or the dataset.json list the case came from.
    public var splitToken: String?
    /// The split, once assigned.
    public var split: Split = .train

    public init(id: String, name: String, image: String, label: String?, splitToken: String? = nil) {
        self.id = id
        self.name = name
        self.image = image
        self.label = label
        self.splitToken = splitToken
    }

    /// Whether the case has any label data.
    public var isLabelled: Bool { label != nil || !masks.isEmpty }
}

public struct StructureMask: Equatable, Sendable {
    public var structure: String
    public var path: String
}

/// Renders a case name template: `{case}` is the id, `{case:N}` the id with its digits zero-padded to N
/// (`lits_{case:4}` turns id "7" into "lits_0007"), so names sort in numeric order.
func renderCaseName(_ template: String, id: String) -> String {
    var out = ""
    var rest = Substring(template)
    while let open = rest.range(of: "{case") {
        out += rest[..<open.lowerBound]
        guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
        let spec = rest[open.upperBound..<close]
        if spec.hasPrefix(":"), let width = Int(spec.dropFirst()), !id.isEmpty, id.allSatisfy(\.isNumber) {
            out += String(repeating: "0", count: max(0, width - id.count)) + id
        } else {
            out += id
        }
        rest = rest[rest.index(after: close)...]
    }
    return out + rest
}

/// Sorts names in natural order ("case2" before "case10"), then plainly, so the order is total and stable.
func naturalLess(_ a: String, _ b: String) -> Bool {
    let r = a.compare(b, options: [.numeric])
    if r != .orderedSame { return r == .orderedAscending }
    return a < b
}

import Foundation
