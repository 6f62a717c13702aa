// Finds a dataset's cases in its source folder as the spec describes them, pairs images with labels,
// and assigns splits. Pure file-system listing: no volume is read here.
import Foundation

public struct CaseDiscovery {
    public var spec: DatasetSpec
    /// The dataset's top folder.
    public var source: String
    /// `--split`: every case goes there.
    public var forcedSplit: Split?

    public init(spec: DatasetSpec, source: String, forcedSplit: Split? = nil) {
        self.spec = spec
        self.source = URL(fileURLWithPath: source).standardizedFileURL.path
        self.forcedSplit = forcedSplit
    }

    public struct Result: Sendable {
        /// Cases to convert, in natural order of their output names.
        public var cases: [SourceCase]
        /// Names of cases left out because they have no label (`unlabelled: skip`).
        public var skippedUnlabelled: [String]
        /// Label files that match no image (reported, not converted).
        public var orphanLabels: [String]
        /// dataset.json's value -> name table (`.datasetJSON` layout only).
        public var datasetJSONLabels: [Int: String]?
    }

    public func discover() throws -> Result {
        var found: [SourceCase]
        var orphans: [String] = []
        var jsonLabels: [Int: String]? = nil
        switch spec.layout {
        case let .patterns(imagePattern, labelPattern, kind):
            (found, orphans) = try discoverPatterns(image: imagePattern, label: labelPattern, kind: kind)
        case let .datasetJSON(file):
            let json = try DatasetJSON(file: path(file))
            jsonLabels = json.labels
            found = try json.entries.map { e in
                let labelPath = e.label.map(path)
                if let l = labelPath, !FileManager.default.fileExists(atPath: l) {
                    throw ConversionError.missingLabel(case: e.id, image: path(e.image), expected: l)
                }
                return SourceCase(id: e.id, name: renderCaseName(spec.caseName, id: e.id), image: path(e.image),
                                  label: labelPath, splitToken: e.list)
            }
        }
        if case let .structureMasks(pattern) = spec.encoding {
            try attachMasks(&found, pattern: pattern)
        }

        // Unique output names; sorted naturally so progress and outputs follow the dataset's numbering.
        found.sort { naturalLess($0.name, $1.name) }
        for (a, b) in zip(found, found.dropFirst()) where a.name == b.name {
            throw ConversionError.duplicateCase(a.name, first: a.image, second: b.image)
        }

        var skipped: [String] = []
        var cases: [SourceCase] = []
        for c in found {
            if !c.isLabelled {
                switch spec.unlabelled {
                case .skip: skipped.append(c.name); continue
                case .keep: break
                case .error:
                    let expected: String
                    switch (spec.layout, spec.encoding) {
                    case (_, .structureMasks(let p)): expected = p.replacingOccurrences(of: "{case}", with: c.id)
                    case (.patterns(_, let l?, _), _): expected = l.replacingOccurrences(of: "{case}", with: c.id)
                    default: expected = "a label file"
                    }
                    throw ConversionError.missingLabel(case: c.name, image: c.image, expected: expected)
                }
            }
            cases.append(c)
        }
        if cases.isEmpty && skipped.isEmpty {
            let pattern: String
            switch spec.layout {
            case let .patterns(image, _, _): pattern = image
            case let .datasetJSON(file): pattern = file
            }
            throw ConversionError.noCases(source: source, pattern: pattern)
        }
        let assigner = try SplitAssigner(rule: spec.split, source: source, forced: forcedSplit)
        for i in cases.indices { cases[i].split = try assigner.split(of: cases[i]) }
        return Result(cases: cases, skippedUnlabelled: skipped, orphanLabels: orphans, datasetJSONLabels: jsonLabels)
    }

    private func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : source + "/" + relative
    }

    private func discoverPatterns(image: String, label: String?, kind: ImageKind) throws -> ([SourceCase], [String]) {
        let tree = try SourceTree(root: source)
        let imagePattern = try PathPattern(image)
        guard imagePattern.placeholders.contains("case") else {
            throw ConversionError.invalidOption("spec '\(spec.name)': image pattern '\(image)' needs a {case} placeholder")
        }
        var images: [String: (rel: String, captures: [String: String])] = [:]
        for rel in (kind == .dicom ? tree.folders : tree.files) {
            guard let m = imagePattern.match(rel), let id = m["case"] else { continue }
            if let prior = images[id] { throw ConversionError.duplicateCase(id, first: path(prior.rel), second: path(rel)) }
            images[id] = (rel, m)
        }
        var labels: [String: (rel: String, captures: [String: String])] = [:]
        if let label {
            let labelPattern = try PathPattern(label)
            for rel in tree.files {
                guard let m = labelPattern.match(rel), let id = m["case"] else { continue }
                if let prior = labels[id] { throw ConversionError.duplicateCase(id, first: path(prior.rel), second: path(rel)) }
                labels[id] = (rel, m)
            }
        }
        var cases: [SourceCase] = []
        for (id, img) in images {
            var labelPath: String? = nil
            if let l = labels[id] {
                // With {split} in both patterns (WORD's imagesTr / labelsTr), the tokens must agree.
                if let a = img.captures["split"], let b = l.captures["split"], a != b {
                    throw ConversionError.missingLabel(case: id, image: path(img.rel), expected: label!.replacingOccurrences(of: "{split}", with: a))
                }
                labelPath = path(l.rel)
            }
            cases.append(SourceCase(id: id, name: renderCaseName(spec.caseName, id: id), image: path(img.rel),
                                    label: labelPath, splitToken: img.captures["split"]))
        }
        let orphans = labels.keys.filter { images[$0] == nil }.sorted(by: naturalLess).map { path(labels[$0]!.rel) }
        return (cases, orphans)
    }

    private func attachMasks(_ cases: inout [SourceCase], pattern: String) throws {
        let tree = try SourceTree(root: source)
        let p = try PathPattern(pattern)
        guard p.placeholders.contains("case"), p.placeholders.contains("structure") else {
            throw ConversionError.invalidOption("spec '\(spec.name)': mask pattern '\(pattern)' needs {case} and {structure}")
        }
        var byCase: [String: [StructureMask]] = [:]
        for rel in tree.files {
            guard let m = p.match(rel), let id = m["case"], let s = m["structure"] else { continue }
            byCase[id, default: []].append(StructureMask(structure: s, path: path(rel)))
        }
        for i in cases.indices {
            cases[i].masks = (byCase[cases[i].id] ?? []).sorted { $0.structure < $1.structure }
        }
    }
}
