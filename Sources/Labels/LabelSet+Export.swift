// Writing a label tree for people and other tools: an indented outline, JSON (read back by
// `LabelTree(jsonObject:)`, e.g. from a model file), ITK-SNAP label descriptions and a 3D Slicer colour
// table. Label values in both colour tables are class indices; 255 is "ignore".
import Foundation

extension LabelTree {
    /// {"classes": [[part, ...], ...], "sinks": [class, ...]}: enough to rebuild the tree exactly.
    public var jsonObject: [String: Any] {
        ["classes": paths, "sinks": sinks]
    }

    /// Rebuilds a tree written by `jsonObject`. `source` names the file in errors.
    public init(jsonObject: Any, source: String = "tree JSON") throws {
        guard let dict = jsonObject as? [String: Any], let classes = dict["classes"] as? [[String]] else {
            throw LabelError.malformedTreeJSON(path: source, reason: "expected an object with \"classes\": [[String]]")
        }
        let sinkIndices = (dict["sinks"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue }
        guard sinkIndices.allSatisfy({ $0 >= 0 && $0 < classes.count }) else {
            throw LabelError.malformedTreeJSON(path: source, reason: "a sink index is outside 0..<\(classes.count)")
        }
        try self.init(paths: classes, sinks: sinkIndices.map { classes[$0] })
        guard paths == classes else {
            throw LabelError.malformedTreeJSON(path: source, reason: "classes are not a complete tree in SALT's order")
        }
    }

    /// PASCAL VOC colours, as SALT's `make_palette` (index -> RGB).
    public static func paletteColour(_ index: Int) -> (UInt8, UInt8, UInt8) {
        var r = 0, g = 0, b = 0, label = index, i = 0
        while label != 0 {
            r |= ((label >> 0) & 1) << (7 - i)
            g |= ((label >> 1) & 1) << (7 - i)
            b |= ((label >> 2) & 1) << (7 - i)
            label >>= 3
            i += 1
        }
        return (UInt8(r), UInt8(g), UInt8(b))
    }

    /// ITK-SNAP label description file, as SALT's `create_itksnap_label_definition`: one line per class
    /// (names joined by ">"), plus 255 "ignore".
    public var itkSnapLabels: String {
        var s = """
        ################################################
        # ITK-SnAP Label Description File
        # File format:
        # IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
        # Fields:
        #    IDX:   Zero-based index
        #    -R-:   Red color component (0..255)
        #    -G-:   Green color component (0..255)
        #    -B-:   Blue color component (0..255)
        #    -A-:   Label transparency (0.00 .. 1.00)
        #    VIS:   Label visibility (0 or 1)
        #    IDX:   Label mesh visibility (0 or 1)
        #  LABEL:   Label description
        ################################################

        """
        let entries = paths.enumerated().map { ($0.offset, $0.element.joined(separator: ">")) } + [(255, "ignore")]
        for (index, name) in entries {
            let (r, g, b) = LabelTree.paletteColour(index)
            let fg = name == "background" ? 0 : 1
            s += pad(index, 4) + pad(Int(r), 5) + pad(Int(g), 5) + pad(Int(b), 5) + pad(fg, 9) + pad(fg, 3) + pad(fg, 3)
            s += "     \"\(name)\"\n"
        }
        return s
    }

    /// 3D Slicer colour table (`.ctbl`): `index name R G B A`, names joined by ">" (Slicer splits on spaces).
    public var slicerColourTable: String {
        var s = "# Color table file written by salt\n# \(count + 1) values\n"
        for (index, path) in paths.enumerated() {
            let (r, g, b) = LabelTree.paletteColour(index)
            let name = path.joined(separator: ">").replacingOccurrences(of: " ", with: "_")
            s += "\(index) \(name) \(r) \(g) \(b) \(name == "background" ? 0 : 255)\n"
        }
        let (r, g, b) = LabelTree.paletteColour(255)
        s += "255 ignore \(r) \(g) \(b) 255\n"
        return s
    }

    private func pad(_ v: Int, _ width: Int) -> String {
        let t = String(v)
        return String(repeating: " ", count: max(0, width - t.count)) + t
    }
}

extension LabelSet {
    /// The tree plus each dataset's table and mask (the form of the reference's tree.json).
    public var jsonObject: [String: Any] {
        [
            "classes": tree.paths,
            "sinks": tree.sinks,
            "num_classes": tree.count,
            "labels": tree.classNames,
            "leaf_indices": tree.leaves,
            "adjacency_matrix": tree.adjacency.map { $0.map(Int.init) },
            "datasets": datasets.map { ds -> [String: Any] in
                [
                    "name": ds.name,
                    "source_names": ds.file.sourceNames,
                    "label_lut": ds.table,
                    "class_mask": ds.annotated.map { $0 ? 1 : 0 },
                    "splits": ds.splits.mapValues { $0.count },
                ]
            },
        ]
    }

    /// The tree as an indented outline; after each node, the datasets that annotate it (`name` = a line
    /// of its tree-labels.txt names the node, `name*` = annotated because every child is).
    public func outline() -> String {
        let tree = self.tree
        var explicit = Array(repeating: Set<String>(), count: tree.count)
        for ds in datasets {
            for (i, path) in ds.file.paths.enumerated() where path != nil { explicit[ds.table[i]].insert(ds.name) }
        }
        var lines: [(String, String)] = []
        func visit(_ c: Int, _ depth: Int) {
            var name = String(repeating: "  ", count: depth) + tree.paths[c].last!
            if tree.sinks.contains(c) { name += " (sink)" }
            let who = datasets.filter { $0.annotated[c] }.map { explicit[c].contains($0.name) ? $0.name : $0.name + "*" }
            lines.append(("\(String(format: "%3d", c)) " + name, who.joined(separator: ", ")))
            for k in tree.children[c] { visit(k, depth + 1) }
        }
        for c in tree.rootChildren { visit(c, 1) }
        let width = min(72, (lines.map { $0.0.count }.max() ?? 0) + 2)
        var s = "label tree: \(tree.count) classes, \(tree.leaves.count) leaves, \(tree.sinks.count) sinks; "
        s += "datasets: \(datasets.map(\.name).joined(separator: ", "))\n"
        s += "(class index, node, datasets annotating it; * = through all its children)\n"
        s += "    <root>\n"
        for (left, right) in lines {
            s += left.padding(toLength: max(width, left.count + 2), withPad: " ", startingAt: 0) + right + "\n"
        }
        return s
    }

    /// Writes tree.json, itksnap_labels.txt and slicer_labels.ctbl into `directory` (each through a
    /// temporary file then renamed). Returns the paths written.
    @discardableResult
    public func write(to directory: URL) throws -> [URL] {
        let fm = FileManager.default
        do { try fm.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw LabelError.unwritable(path: directory.path, reason: "cannot create directory: \(error.localizedDescription)")
        }
        let json: Data
        do { json = try JSONSerialization.data(withJSONObject: jsonObject, options: [.prettyPrinted, .sortedKeys]) } catch {
            throw LabelError.malformedTreeJSON(path: directory.appendingPathComponent("tree.json").path, reason: "\(error)")
        }
        let files: [(String, Data)] = [
            ("tree.json", json),
            ("itksnap_labels.txt", Data(tree.itkSnapLabels.utf8)),
            ("slicer_labels.ctbl", Data(tree.slicerColourTable.utf8)),
        ]
        var written: [URL] = []
        for (name, data) in files {
            let url = directory.appendingPathComponent(name)
            let tmp = directory.appendingPathComponent(".\(name).tmp-\(ProcessInfo.processInfo.processIdentifier)")
            do {
                try data.write(to: tmp)
                // POSIX rename replaces atomically (FileManager.replaceItemAt fails on Linux on a second replace).
                guard rename(tmp.path, url.path) == 0 else {
                    throw LabelError.unwritable(path: url.path, reason: String(cString: strerror(errno)))
                }
            } catch {
                try? fm.removeItem(at: tmp)   // best-effort cleanup; the write error below is what matters
                throw LabelError.unwritable(path: url.path, reason: error.localizedDescription)
            }
            written.append(url)
        }
        return written
    }
}
