// Reads a `DatasetSpec` from a YAML spec file (conversion/<format>.yaml; the format is described in
// conversion/README.md). Every mistake is reported with the file, line and column of the offending node.
import Foundation
import YAML

extension DatasetSpec {
    /// Reads the spec at `file`. `repositoryRoot` resolves `classes-from: labels/x`; by default it is
    /// looked for beside the spec, in the folder above it (the repository, for conversion/<format>.yaml),
    /// then above the standard spec folder (so a spec of your own can still name labels/totalseg).
    public static func load(file: String, repositoryRoot: String? = nil) throws -> DatasetSpec {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConversionError.invalidOption("cannot read spec file '\(file)': \(error.localizedDescription)")
        }
        let folder = (URL(fileURLWithPath: file).standardizedFileURL.path as NSString).deletingLastPathComponent
        let roots = repositoryRoot.map { [$0] }
            ?? [folder, (folder as NSString).deletingLastPathComponent]
               + SpecLibrary.standard().folders.map { ($0 as NSString).deletingLastPathComponent }
        let defaultName = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        return try parse(text, file: file, defaultName: defaultName, repositoryRoots: roots)
    }

    /// Parses spec text; `file` names it in errors.
    public static func parse(_ text: String, file: String, defaultName: String, repositoryRoot: String) throws -> DatasetSpec {
        try parse(text, file: file, defaultName: defaultName, repositoryRoots: [repositoryRoot])
    }

    /// As `parse(_:file:defaultName:repositoryRoot:)`; `classes-from` takes the first root holding the folder.
    public static func parse(_ text: String, file: String, defaultName: String, repositoryRoots: [String]) throws -> DatasetSpec {
        let node: YAMLNode?
        do { node = try YAML.parse(text, file: file) } catch let e as YAMLError {
            throw ConversionError.invalidOption("\(e)")
        }
        guard let node else { throw ConversionError.badSpec(file: file, line: 1, column: 1, message: "the spec file is empty") }
        return try SpecReader(file: file, repositoryRoots: repositoryRoots).spec(node, defaultName: defaultName)
    }
}

/// Walks the YAML nodes of one spec file.
private struct SpecReader {
    let file: String
    let repositoryRoots: [String]

    func fail(_ n: YAMLNode, _ message: String) -> ConversionError {
        .badSpec(file: n.mark.file, line: n.mark.line, column: n.mark.column, message: message)
    }

    func mapping(_ n: YAMLNode, allowed: [String], what: String) throws -> [String: YAMLNode] {
        guard let pairs = n.mapping else { throw fail(n, "\(what) must be a mapping, found \(n.kindDescription)") }
        var out: [String: YAMLNode] = [:]
        for (k, v) in pairs {
            let key = k.text ?? ""
            guard allowed.contains(key) else {
                throw fail(k, "unknown key '\(key)' in \(what); allowed: \(allowed.joined(separator: ", "))")
            }
            out[key] = v
        }
        return out
    }

    func string(_ n: YAMLNode, _ what: String) throws -> String {
        guard let s = n.text, n.mapping == nil, n.sequence == nil else { throw fail(n, "\(what) must be a string, found \(n.kindDescription)") }
        return s
    }

    func int(_ n: YAMLNode, _ what: String) throws -> Int {
        guard case .int(let i)? = n.scalarValue else { throw fail(n, "\(what) must be a whole number, found \(n.kindDescription)") }
        return i
    }

    func double(_ n: YAMLNode, _ what: String) throws -> Double {
        switch n.scalarValue {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: throw fail(n, "\(what) must be a number, found \(n.kindDescription)")
        }
    }

    func bool(_ n: YAMLNode, _ what: String) throws -> Bool {
        guard case .bool(let b)? = n.scalarValue else { throw fail(n, "\(what) must be true or false, found \(n.kindDescription)") }
        return b
    }

    /// A string or a list of strings.
    func strings(_ n: YAMLNode, _ what: String) throws -> [String] {
        if let items = n.sequence { return try items.map { try string($0, what) } }
        return [try string(n, what)]
    }

    /// A whole number or a list of them.
    func ints(_ n: YAMLNode, _ what: String) throws -> [Int] {
        if let items = n.sequence { return try items.map { try int($0, what) } }
        return [try int(n, what)]
    }

    func split(_ n: YAMLNode, _ what: String) throws -> Split {
        let s = try string(n, what)
        guard let v = Split(rawValue: s) else { throw fail(n, "\(what) must be train, val or test, found '\(s)'") }
        return v
    }

    func splitMap(_ n: YAMLNode, _ what: String) throws -> [String: Split] {
        guard let pairs = n.mapping else { throw fail(n, "\(what) must map values to train, val or test") }
        var out: [String: Split] = [:]
        for (k, v) in pairs { out[k.text ?? ""] = try split(v, "\(what) '\(k.text ?? "")'") }
        return out
    }

    func spec(_ n: YAMLNode, defaultName: String) throws -> DatasetSpec {
        let keys = ["name", "summary", "image", "label", "image-kind", "dataset-json", "encoding", "masks", "case-name",
                    "split", "unlabelled", "fixes", "classes", "classes-from", "prune-unannotated"]
        let m = try mapping(n, allowed: keys, what: "a spec")
        let layout: CaseLayout
        if let j = m["dataset-json"] {
            if let i = m["image"] { throw fail(i, "give either 'image' (with 'label') or 'dataset-json', not both") }
            layout = .datasetJSON(file: try string(j, "dataset-json"))
        } else {
            guard let i = m["image"] else { throw fail(n, "a spec needs 'image' (a path pattern with {case}) or 'dataset-json'") }
            var kind = ImageKind.nifti
            if let k = m["image-kind"] {
                let s = try string(k, "image-kind")
                guard let v = ImageKind(rawValue: s) else { throw fail(k, "image-kind must be nifti or dicom, found '\(s)'") }
                kind = v
            }
            layout = .patterns(image: try string(i, "image"), label: try m["label"].map { try string($0, "label") }, imageKind: kind)
            _ = try PathPattern(try string(i, "image"))
        }

        var classes: [LabelClass] = []
        if let from = m["classes-from"] {
            classes = try catalogue(from)
        }
        if let c = m["classes"] {
            if m["classes-from"] != nil { throw fail(c, "give either 'classes' or 'classes-from', not both") }
            classes = try classList(c)
        }
        if classes.isEmpty { throw fail(n, "a spec needs 'classes' (output value = position) or 'classes-from: labels/<name>'") }

        var spec = DatasetSpec(name: try m["name"].map { try string($0, "name") } ?? defaultName, layout: layout, classes: classes)
        if let s = m["summary"] { spec.summary = try string(s, "summary") }
        if let e = m["encoding"] {
            switch try string(e, "encoding") {
            case "values": spec.encoding = .values
            case "label-table": spec.encoding = .labelTable
            case "dataset-json": spec.encoding = .datasetJSONNames
            case "structure-masks":
                guard let p = m["masks"] else { throw fail(e, "encoding structure-masks needs 'masks: <pattern with {case} and {structure}>'") }
                spec.encoding = .structureMasks(pattern: try string(p, "masks"))
            case let other: throw fail(e, "encoding must be values, label-table, structure-masks or dataset-json, found '\(other)'")
            }
        } else if case .datasetJSON = layout {
            spec.encoding = .datasetJSONNames
        }
        if let c = m["case-name"] { spec.caseName = try string(c, "case-name") }
        if let u = m["unlabelled"] {
            let s = try string(u, "unlabelled")
            guard let v = UnlabelledPolicy(rawValue: s) else { throw fail(u, "unlabelled must be error, skip or keep, found '\(s)'") }
            spec.unlabelled = v
        }
        if let p = m["prune-unannotated"] { spec.pruneUnannotated = try bool(p, "prune-unannotated") }
        if let s = m["split"] { spec.split = try splitRule(s) }
        if let f = m["fixes"] {
            let fm = try mapping(f, allowed: ["header-tolerance-mm", "round-labels"], what: "fixes")
            if let t = fm["header-tolerance-mm"] { spec.fixes.headerToleranceMM = try double(t, "header-tolerance-mm") }
            if let r = fm["round-labels"] { spec.fixes.roundLabels = try bool(r, "round-labels") }
        }
        try check(spec, n)
        return spec
    }

    /// `classes:` a list of `{name, path, source, aliases}`; output value = position.
    func classList(_ n: YAMLNode) throws -> [LabelClass] {
        guard let items = n.sequence else { throw fail(n, "classes must be a list of {name, path, source}") }
        return try items.enumerated().map { index, item in
            let c = try mapping(item, allowed: ["name", "path", "source", "aliases"], what: "a class")
            guard let name = c["name"] else { throw fail(item, "a class needs a 'name'") }
            guard let path = c["path"] else { throw fail(item, "class '\(name.text ?? "")' needs a 'path' (comma-separated from the root, or '-')") }
            let p = try string(path, "path")
            if p != "-", p.split(separator: ",", omittingEmptySubsequences: false).contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw fail(path, "path '\(p)' has an empty component; write names separated by commas, e.g. body,abdominal_cavity,liver")
            }
            let normalised = p == "-" ? "-" : p.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ",")
            return LabelClass(name: try string(name, "name"), path: normalised,
                              sourceValues: try c["source"].map { try ints($0, "source") } ?? [index],
                              aliases: try c["aliases"].map { try strings($0, "aliases") } ?? [])
        }
    }

    /// `classes-from: labels/<name>`: the folder's labels.txt and tree-labels.txt, line for line; source
    /// value = line number (from 0).
    func catalogue(_ n: YAMLNode) throws -> [LabelClass] {
        let rel = try string(n, "classes-from")
        let candidates = rel.hasPrefix("/") ? [rel] : repositoryRoots.map { $0 + "/" + rel }
        let folder = candidates.first { FileManager.default.fileExists(atPath: $0 + "/tree-labels.txt") } ?? candidates.first ?? rel
        do {
            return try NameCatalogue.read(folder: folder)
        } catch let e as ConversionError {
            throw fail(n, "classes-from '\(rel)': \(e)")
        }
    }

    func splitRule(_ n: YAMLNode) throws -> SplitRule {
        let m = try mapping(n, allowed: ["tokens", "csv", "ids", "fallback", "val-fraction"], what: "split")
        var r = SplitRule()
        if let t = m["tokens"] { r.tokens = try splitMap(t, "split tokens") }
        if let c = m["csv"] {
            let cm = try mapping(c, allowed: ["file", "case-column", "split-column", "values", "required"], what: "split csv")
            guard let f = cm["file"], let cc = cm["case-column"], let sc = cm["split-column"], let v = cm["values"] else {
                throw fail(c, "split csv needs file, case-column, split-column and values")
            }
            r.csv = CSVSplit(files: try strings(f, "file"), caseColumn: try string(cc, "case-column"),
                             splitColumn: try string(sc, "split-column"), values: try splitMap(v, "values"),
                             required: try cm["required"].map { try bool($0, "required") } ?? true)
        }
        if let ids = m["ids"] {
            guard let items = ids.sequence else { throw fail(ids, "split ids must be a list of {from, to, split}") }
            r.ids = try items.map { item in
                let im = try mapping(item, allowed: ["from", "to", "split"], what: "an id range")
                guard let f = im["from"], let t = im["to"], let s = im["split"] else { throw fail(item, "an id range needs from, to and split") }
                return IDRange(try int(f, "from"), try int(t, "to"), try split(s, "split"))
            }
        }
        if let f = m["fallback"] { r.fallback = try split(f, "fallback") }
        if let v = m["val-fraction"] {
            r.valFraction = try double(v, "val-fraction")
            guard (0..<1).contains(r.valFraction) else { throw fail(v, "val-fraction must be at least 0 and below 1") }
        }
        return r
    }

    /// Checks that need the whole spec.
    func check(_ spec: DatasetSpec, _ n: YAMLNode) throws {
        guard spec.classes.count <= 255 else { throw fail(n, "\(spec.classes.count) classes; at most 255 fit below the ignore value 255") }
        var owner: [Int: String] = [:]
        for c in spec.classes {
            for v in c.sourceValues {
                guard (0...254).contains(v) else { throw fail(n, "class '\(c.name)': source value \(v) is outside 0...254 (255 is always ignore)") }
                if let o = owner[v] { throw fail(n, "source value \(v) feeds both '\(o)' and '\(c.name)'; give it to one class") }
                owner[v] = c.name
            }
        }
    }
}
