// Label tables written beside predictions so viewers show class names: ITK-SNAP and 3D Slicer.
// (Temporary local writer until Labels' LabelTree.itkSnapLabels / slicerColourTable land on main.)
import Labels

enum LabelTables {
    static let itkSnapName = "itksnap_labels.txt"
    static let slicerName = "slicer_labels.ctbl"

    /// Distinct colours: PASCAL VOC palette (SALT's make_palette).
    static func colour(_ index: Int) -> (Int, Int, Int) {
        var r = 0, g = 0, b = 0, label = index, i = 0
        while label != 0 {
            r |= ((label >> 0) & 1) << (7 - i)
            g |= ((label >> 1) & 1) << (7 - i)
            b |= ((label >> 2) & 1) << (7 - i)
            label >>= 3
            i += 1
        }
        return (r, g, b)
    }

    static func itkSnap(_ tree: LabelTree) -> String {
        var s = "################################################\n# ITK-SnAP Label Description File\n"
        s += "# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL\n################################################\n"
        for (index, path) in tree.paths.enumerated() {
            let (r, g, b) = colour(index)
            let name = path.joined(separator: ">"), on = name == "background" ? 0 : 1
            s += "\(index) \(r) \(g) \(b) \(on) \(on) \(on) \"\(name)\"\n"
        }
        return s
    }

    static func slicer(_ tree: LabelTree) -> String {
        var s = "# Color table file written by salt\n# \(tree.count) values\n"
        for (index, path) in tree.paths.enumerated() {
            let (r, g, b) = colour(index)
            let name = path.joined(separator: ">").replacingOccurrences(of: " ", with: "_")
            s += "\(index) \(name) \(r) \(g) \(b) \(name == "background" ? 0 : 255)\n"
        }
        return s
    }
}
