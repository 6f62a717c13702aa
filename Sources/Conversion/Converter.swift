// Converts a dataset as its spec describes: finds the cases, converts each (read, check grids, map label
// values, optional body mask, reorient, optional resampling, write, preview), then writes labels.txt,
// tree-labels.txt and summary.txt. Everything is written into `<output>.tmp-<pid>` and renamed to
// `<output>` at the end: an error leaves the previous output (or nothing) in place, never half a dataset.
// Deterministic: cases in natural order, no timestamps, the same bytes from the same source.
import Foundation
import NIfTI

public struct ConversionOptions: Sendable {
    /// Output voxel spacing in mm per axis (after reorientation); an entry <= 0 keeps that axis. nil: keep.
    public var spacing: [Double]? = nil
    /// Put every case into this split (`--split`).
    public var split: Split? = nil
    /// Derive a body mask from the CT: 0 outside it stays "background", unlabelled voxels inside become
    /// the extra class "body" (`--body-mask`).
    public var bodyMask = false
    /// Tree path of that class (`--body-path`; nil = "body"): "body" says only that the voxel is in the
    /// body; a dataset that labels every structure of the tree knows its remaining body voxels are none
    /// of them, and can say so with a new leaf under body such as "body,other" (a sink when listed in
    /// the data root's tree-additional-labels.txt).
    public var bodyPath: String? = nil
    /// HU threshold of the body mask.
    public var bodyThreshold: Float = -500
    /// Write `previews/<case>.png` (`--previews`).
    public var previews = false
    /// The orientation every volume is written in (SALT trains in LPI).
    public var orientation = "LPI"

    public init() {}
}

public enum Converter {
    /// The body mask's class must be "body" or a new node under it: not an existing class, not an
    /// ancestor of one (it would claim fat and muscle for that organ group), not below one (it would
    /// give that class a single child).
    static func checkBodyPath(_ path: String, classes: [LabelClass]) throws {
        let parts = path.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.first == "body", !parts.contains(where: { $0.isEmpty || $0 != $0.trimmingCharacters(in: .whitespaces) }),
              !path.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw ConversionError.invalidOption("--body-path '\(path)' is not a tree path under body: names joined by commas, e.g. body or body,other")
        }
        guard path != "body" else { return }
        for c in classes where c.path != "-" {
            if c.path == path || c.path.hasPrefix(path + ",") || path.hasPrefix(c.path + ",") {
                throw ConversionError.invalidOption("--body-path '\(path)' collides with class '\(c.name)' (\(c.path)); name a new leaf such as body,other")
            }
        }
    }

    /// Converts `source` into `output` by `spec`; `progress` receives one line per case and the summary.
    @discardableResult
    public static func convert(spec: DatasetSpec, source: String, output: String, options: ConversionOptions = ConversionOptions(),
                               progress: (String) -> Void = { print($0) }) throws -> ConversionReport {
        if let s = options.spacing, s.count != 3 || s.contains(where: { !$0.isFinite }) {
            throw ConversionError.invalidOption("--spacing needs three numbers x,y,z in mm (0 keeps an axis), got \(s)")
        }
        guard Orientation.parse(options.orientation) != nil else {
            throw ConversionError.invalidOption("orientation '\(options.orientation)' is not three axis codes such as LPI or RAS")
        }
        if options.bodyMask && spec.classes.count >= 255 {
            throw ConversionError.invalidOption("--body-mask adds a class, but the spec already has \(spec.classes.count)")
        }
        if let path = options.bodyPath {
            guard options.bodyMask else { throw ConversionError.invalidOption("--body-path names the class of the body mask; add --body-mask") }
            try checkBodyPath(path, classes: spec.classes)
        }
        let discovery = try CaseDiscovery(spec: spec, source: source, forcedSplit: options.split).discover()
        if spec.encoding == .datasetJSONNames && discovery.datasetJSONLabels == nil {
            throw ConversionError.invalidOption("spec '\(spec.name)': encoding dataset-json needs the dataset-json layout")
        }

        let outputURL = URL(fileURLWithPath: output).standardizedFileURL
        let pid = ProcessInfo.processInfo.processIdentifier
        let staging = outputURL.path + ".tmp-\(pid)"
        let fm = FileManager.default
        removeStaleStaging(of: outputURL.path)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw ConversionError.output(path: staging, detail: error.localizedDescription)
        }
        do {
            let report = try run(spec: spec, discovery: discovery, staging: staging, options: options, progress: progress)
            try replace(outputURL.path, with: staging)
            return report
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    /// Removes `<output>.tmp-<pid>` and `<output>.old-<pid>` folders left by runs that were killed (their
    /// process no longer exists) or by this process, so a plain rerun recovers from a killed one.
    static func removeStaleStaging(of output: String) {
        let fm = FileManager.default
        let parent = (output as NSString).deletingLastPathComponent, name = (output as NSString).lastPathComponent
        let me = ProcessInfo.processInfo.processIdentifier
        for entry in (try? fm.contentsOfDirectory(atPath: parent)) ?? [] {
            for marker in [".tmp-", ".old-"] where entry.hasPrefix(name + marker) {
                guard let pid = Int32(entry.dropFirst(name.count + marker.count)) else { continue }
                // kill(pid, 0) fails with ESRCH when no such process exists.
                if pid == me || (kill(pid, 0) != 0 && errno == ESRCH) {
                    if marker == ".old-" && !fm.fileExists(atPath: output) {
                        try? fm.moveItem(atPath: parent + "/" + entry, toPath: output)   // killed between the two renames
                    } else {
                        try? fm.removeItem(atPath: parent + "/" + entry)
                    }
                }
            }
        }
    }

    /// Moves `staging` to `output`, replacing an earlier conversion there.
    static func replace(_ output: String, with staging: String) throws {
        let fm = FileManager.default
        let old = output + ".old-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            if fm.fileExists(atPath: output) { try fm.moveItem(atPath: output, toPath: old) }
            try fm.moveItem(atPath: staging, toPath: output)
            if fm.fileExists(atPath: old) { try fm.removeItem(atPath: old) }
        } catch {
            if !fm.fileExists(atPath: output) && fm.fileExists(atPath: old) { try? fm.moveItem(atPath: old, toPath: output) }
            throw ConversionError.output(path: output, detail: error.localizedDescription)
        }
    }

    static func run(spec: DatasetSpec, discovery: CaseDiscovery.Result, staging: String, options: ConversionOptions,
                    progress: (String) -> Void) throws -> ConversionReport {
        let mapping = LabelMapping(spec: spec)
        let bodyValue: UInt8? = options.bodyMask ? UInt8(spec.classes.count) : nil
        var results: [ConvertedCase] = []
        let total = discovery.cases.count
        for (n, c) in discovery.cases.enumerated() {
            progress("[\(n + 1)/\(total)] \(c.name) -> \(c.split.rawValue)")
            let r = try convertCase(c, spec: spec, mapping: mapping, jsonLabels: discovery.datasetJSONLabels,
                                    bodyValue: bodyValue, staging: staging, options: options)
            for f in r.fixes { progress("    fixed: \(f)") }
            results.append(r)
        }

        // Classes and their paths as written.
        var classes = spec.classes
        if spec.pruneUnannotated {
            let declared = results.reduce(into: Set<Int>()) { $0.formUnion($1.declared) }
            for i in classes.indices where i != 0 && !declared.contains(i) { classes[i].path = "-" }
        }
        if options.bodyMask {
            classes[0].path = "background"
            classes.append(LabelClass(name: "body", path: options.bodyPath ?? "body"))
        }
        try AtomicFile.write(classes.map { $0.name + "\n" }.joined(), to: staging + "/labels.txt")
        try AtomicFile.write(classes.map { $0.path + "\n" }.joined(), to: staging + "/tree-labels.txt")
        let report = ConversionReport(format: spec.name, classes: classes, cases: results,
                                      skippedUnlabelled: discovery.skippedUnlabelled, orphanLabels: discovery.orphanLabels)
        try AtomicFile.write(report.summary, to: staging + "/summary.txt")
        progress(report.summary)
        return report
    }

    /// Reads a volume, naming the case in any error.
    static func read(_ path: String, caseName: String) throws -> Volume {
        do { return try Volume.read(path) } catch {
            throw ConversionError.badInput(case: caseName, file: path, detail: "\(error)")
        }
    }

    static func convertCase(_ c: SourceCase, spec: DatasetSpec, mapping: LabelMapping, jsonLabels: [Int: String]?,
                            bodyValue: UInt8?, staging: String, options: ConversionOptions) throws -> ConvertedCase {
        // The image (a DICOM folder goes through dcm2niix into a temporary file first).
        let image: Volume
        if case .patterns(_, _, .dicom) = spec.layout {
            let (file, tmp) = try DICOMSeries.convert(folder: c.image, caseName: c.name)
            defer { try? FileManager.default.removeItem(atPath: tmp) }
            image = try read(file, caseName: c.name)
        } else {
            image = try read(c.image, caseName: c.name)
        }
        var fixes: [String] = []
        func checked(_ label: Volume, _ file: String) throws {
            if case .headerError(let mm) = try GridCheck.check(image: image, label: label, labelFile: file, caseName: c.name,
                                                               toleranceMM: spec.fixes.headerToleranceMM) {
                fixes.append("\(c.name): label header differs from the image's by up to \(GridCheck.formatMM(mm)) mm "
                             + "('\((file as NSString).lastPathComponent)'); the label takes the image's affine")
            }
        }

        // Label values on the image grid.
        var labels: [UInt8]
        var declared = Set(spec.classes.indices)
        let encoding = c.isLabelled ? spec.encoding : nil
        switch encoding {
        case nil:   // `unlabelled: keep`: an image only
            labels = [UInt8](repeating: 0, count: image.voxels.count)
            declared = []
        case .values?:
            let file = c.label!
            let label = try read(file, caseName: c.name)
            try checked(label, file)
            labels = try mapping.apply(mapping.valueTable(), to: label.voxels, caseName: c.name, file: file)
        case .labelTable?, .datasetJSONNames?:
            let file = c.label!
            let label = try read(file, caseName: c.name)
            try checked(label, file)
            let names: [Int: String]
            if spec.encoding == .labelTable {
                guard !label.labelTable.isEmpty else {
                    throw ConversionError.badInput(case: c.name, file: file, detail:
                        "no <LabelTable> header extension naming the values; use a spec with explicit classes for this file")
                }
                names = label.labelTable
            } else {
                names = jsonLabels ?? [:]
            }
            let (lut, named) = try mapping.namedTable(names, caseName: c.name, file: file)
            declared = named
            labels = try mapping.apply(lut, to: label.voxels, caseName: c.name, file: file)
        case .structureMasks?:
            labels = [UInt8](repeating: 0, count: image.voxels.count)
            declared = [0]
            // Later classes win where masks overlap (TotalSegmentator's combine_masks does the same).
            let ordered = try c.masks.map { ($0, try mapping.classOf(structure: $0.structure, caseName: c.name, file: $0.path)) }
                .sorted { ($0.1, $0.0.structure) < ($1.1, $1.0.structure) }
            for (m, cls) in ordered {
                let mask = try read(m.path, caseName: c.name)
                try checked(mask, m.path)
                declared.insert(cls)
                for (p, x) in mask.voxels.enumerated() where x > 0.5 { labels[p] = UInt8(cls) }
            }
        }

        // Body mask: 0 inside the body becomes "body"; 0 outside stays 0 ("background").
        if let bodyValue, c.isLabelled {
            let axes = Orientation.axes(of: image.affine)
            let axial = axes.firstIndex { $0?.worldAxis == 2 } ?? 2
            let body = BodyMask.compute(voxels: image.voxels, shape: image.shape, axialAxis: axial, threshold: options.bodyThreshold)
            for p in labels.indices where labels[p] == 0 && body[p] { labels[p] = bodyValue }
        }

        // One orientation for every output (lossless: axes permuted and flipped, NIfTI's reoriented(to:)).
        guard !Orientation.axes(of: image.affine).contains(where: { $0 == nil }) else {
            throw ConversionError.badInput(case: c.name, file: c.image, detail: "the affine has a degenerate axis:\n\(image.affine)")
        }
        var imageOut = Volume(shape: image.shape, voxels: image.voxels, affine: image.affine, datatype: image.datatype)
            .reoriented(to: options.orientation)
        var labelOut = Volume(shape: image.shape, voxels: labels.map(Float.init), affine: image.affine, datatype: .uint8)
            .reoriented(to: options.orientation)
        if let spacing = options.spacing {
            // MONAI's Spacing semantics (NIfTI's resampled): trilinear image, nearest labels; 0 keeps an axis.
            let target = (0..<3).map { spacing[$0] > 0 ? spacing[$0] : imageOut.spacing[$0] }
            if zip(target, imageOut.spacing).contains(where: { abs($0 - $1) > 1e-6 * $1 }) {
                imageOut = imageOut.resampled(toSpacing: target, interpolation: .linear)
                labelOut = labelOut.resampled(toSpacing: target, interpolation: .nearest)
            }
        }
        let shape = imageOut.shape, affine = imageOut.affine
        let imageVoxels = imageOut.voxels
        labels = labelOut.voxels.map { UInt8($0) }

        // The image keeps its integer type when every value still fits it (CT in int16), else float32.
        var type = NIfTIDataType.float32
        if image.datatype.isInteger, imageVoxels.allSatisfy({ $0 == $0.rounded() && image.datatype.range.contains(Double($0)) }) {
            type = image.datatype
        }
        let folder = staging + "/" + c.split.rawValue
        let fm = FileManager.default
        for sub in ["images", "labels"] {
            try? fm.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        let imageFile = folder + "/images/" + c.name + ".nii.gz", labelFile = folder + "/labels/" + c.name + ".nii.gz"
        do {
            // Fresh headers: only the grid and the values carry over, so nothing of the source's header
            // (descriptions, intents, scaling) leaks into SALT's layout.
            try Volume(shape: shape, voxels: imageVoxels, affine: affine, datatype: type).write(to: imageFile)
            if c.isLabelled {
                try Volume(shape: shape, voxels: labelOut.voxels, affine: affine, datatype: .uint8).write(to: labelFile)
            }
        } catch {
            throw ConversionError.output(path: imageFile, detail: "case '\(c.name)': \(error)")
        }
        if options.previews {
            try? fm.createDirectory(atPath: staging + "/previews", withIntermediateDirectories: true)
            let p = Preview.render(image: imageVoxels, labels: c.isLabelled ? labels : nil, shape: shape, affine: affine.m)
            try PNGWriter.write(width: p.width, height: p.height, rgb: p.rgb, to: staging + "/previews/" + c.name + ".png")
        }
        var counts = [Int](repeating: 0, count: 256)
        for v in labels { counts[Int(v)] += 1 }
        return ConvertedCase(name: c.name, split: c.split, shape: shape, spacing: affine.spacing,
                             voxelCounts: counts, declared: declared, fixes: fixes)
    }
}
