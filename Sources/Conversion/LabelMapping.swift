// Turns one case's source label data into output values (class indices, 255 = ignore), on the image grid.
// Source values are whole numbers 0...255; 255 stays 255 (SAROS marks slices nobody annotated with it,
// and they must stay "ignore", never become background). Anything the spec does not map is an error
// naming the case, the file and the value or name.

struct LabelMapping {
    let spec: DatasetSpec
    /// Normalised class name or alias -> class index.
    let byName: [String: Int]

    init(spec: DatasetSpec) {
        self.spec = spec
        var byName: [String: Int] = [:]
        for (i, c) in spec.classes.enumerated() {
            for n in [c.name] + c.aliases where byName[LabelMapping.normalise(n)] == nil {
                byName[LabelMapping.normalise(n)] = i
            }
        }
        self.byName = byName
    }

    /// "Right Kidney", "right-kidney" and "right_kidney" are one name.
    static func normalise(_ name: String) -> String {
        String(name.trimmingCharacters(in: .whitespaces).lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
    }

    /// The source-value table of the `.values` encoding: 256 entries, -1 where the spec maps nothing.
    func valueTable() -> [Int] {
        var lut = [Int](repeating: -1, count: 256)
        for (i, c) in spec.classes.enumerated() { for v in c.sourceValues { lut[v] = i } }
        lut[255] = 255
        return lut
    }

    /// The table for a label map whose values are named (`<LabelTable>`, dataset.json): value -> class
    /// through the names, value 0 -> class 0 when the table does not name it, 255 -> ignore. Also the
    /// classes the table declares (what this case annotates).
    func namedTable(_ names: [Int: String], caseName: String, file: String) throws -> (lut: [Int], declared: Set<Int>) {
        var lut = [Int](repeating: -1, count: 256)
        lut[0] = 0
        lut[255] = 255
        var declared: Set<Int> = [0]
        for (value, name) in names.sorted(by: { $0.key < $1.key }) {
            guard (0...255).contains(value) else {
                throw ConversionError.unknownLabelValue(case: caseName, value: value, file: file, known: Array(0...254))
            }
            guard let c = byName[LabelMapping.normalise(name)] else {
                throw ConversionError.unknownLabelName(case: caseName, name: name, file: file)
            }
            lut[value] = c
            declared.insert(c)
        }
        return (lut, declared)
    }

    /// Applies a 256-entry table to label voxels.
    func apply(_ lut: [Int], to voxels: [Float], caseName: String, file: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: voxels.count)
        var cache = [UInt8](repeating: 0, count: 256)
        var valid = [Bool](repeating: false, count: 256)
        for v in 0..<256 where lut[v] >= 0 { cache[v] = UInt8(lut[v]); valid[v] = true }
        for (p, x) in voxels.enumerated() {
            var r = x.rounded()
            if r != x {
                guard spec.fixes.roundLabels, x.isFinite else {
                    throw ConversionError.badInput(case: caseName, file: file,
                        detail: "label value \(x) is not a whole number; a label map holds whole values (or set fixes: round-labels: true)")
                }
                r = x.rounded()
            }
            guard r >= 0, r <= 255, valid[Int(r)] else {
                let known = (0..<256).filter { valid[$0] }
                throw ConversionError.unknownLabelValue(case: caseName, value: Int(max(-1e9, min(1e9, r))), file: file, known: known)
            }
            out[p] = cache[Int(r)]
        }
        return out
    }

    /// Class index of a structure mask's name.
    func classOf(structure: String, caseName: String, file: String) throws -> Int {
        guard let c = byName[LabelMapping.normalise(structure)] else {
            throw ConversionError.unknownLabelName(case: caseName, name: structure, file: file)
        }
        return c
    }
}
