// A training or validation case brought to the model's grid: canonical orientation, model spacing,
// normalised intensities and class indices; cached on disk as raw arrays with a small JSON header.
import Foundation
import Labels
import NIfTI

/// One case on the model grid. Arrays are [n0, n1, n2] in NIfTI order (axis 0 fastest).
public struct PreparedCase: Sendable {
    public var dataset: String
    public var name: String
    public var shape: [Int]
    /// Normalised intensities.
    public var image: [Float]
    /// Class indices of the merged tree; 255 = ignore (unlabelled, padding, values described as ignore).
    public var classes: [UInt8]
    /// The dataset's annotated-class mask.
    public var annotated: [Bool]
}

/// How cases are brought to the model grid (part of the cache key).
public struct PreprocessingSettings: Codable, Equatable, Sendable {
    public var spacing: [Double]
    public var orientation: String
    public var intensity: IntensityNormalization
    /// Cases are padded up to this size (image with the normalised padding value, classes with
    /// `paddingClass`).
    public var patch: [Int]
    public var version = 1
    /// Class of that padding: nil = 255, ignored by the loss; the background class under --air-padding.
    /// (Optional, so settings without it encode, and key the cache, as before.)
    public var paddingClass: UInt8? = nil

    public init(spacing: [Double], orientation: String = "LPI", intensity: IntensityNormalization, patch: [Int]) {
        self.spacing = spacing
        self.orientation = orientation
        self.intensity = intensity
        self.patch = patch
    }
}

public enum Preprocessor {
    /// Reads, checks and prepares one case. Errors name the case: a label grid that differs from its
    /// image, a label value no tree line describes, an image too small for the patch (an axis under half
    /// the patch after resampling: such a patch would be mostly padding).
    public static func prepare(image imageURL: URL, label labelURL: URL, dataset: DatasetLabels, settings: PreprocessingSettings) throws -> PreparedCase {
        let name = NIfTIFiles.caseName(imageURL)
        let image = try NIfTIFiles.read(imageURL)
        let labels = try NIfTIFiles.read(labelURL)
        try NIfTIFiles.checkSameGrid(labels, image, caseName: name, aFile: labelURL.path, bFile: imageURL.path)
        // Map source values to classes before resampling (nearest keeps values, so the order is free) so
        // an undescribed value is reported against the file the user wrote.
        let classMap = try dataset.classMap(labels, caseName: name, file: labelURL.path)
        let labelVolume = labels.with(voxels: classMap.map(Float.init), datatype: .uint8)
        let canonicalImage = image.reoriented(to: settings.orientation).resampled(toSpacing: settings.spacing, interpolation: .linear)
        let canonicalLabels = labelVolume.reoriented(to: settings.orientation).resampled(toSpacing: settings.spacing, interpolation: .nearest)
        precondition(canonicalImage.shape == canonicalLabels.shape, "image and labels resampled to \(canonicalImage.shape) and \(canonicalLabels.shape)")
        let shape = canonicalImage.shape
        if (0..<3).contains(where: { shape[$0] * 2 < settings.patch[$0] }) {
            throw SegmentationError.imageTooSmall(caseName: name, file: imageURL.path, shape: shape, patch: settings.patch)
        }
        var values = canonicalImage.voxels
        settings.intensity.apply(&values)
        var prepared = PreparedCase(dataset: dataset.name, name: name, shape: shape, image: values,
                                    classes: canonicalLabels.voxels.map { UInt8($0) }, annotated: dataset.annotated)
        pad(&prepared, to: settings.patch, value: settings.intensity.paddingValue, class: settings.paddingClass ?? 255)
        return prepared
    }

    /// Pads every axis shorter than `patch` (half before, the rest after, as the sliding window does).
    static func pad(_ c: inout PreparedCase, to patch: [Int], value: Float, class padClass: UInt8) {
        let old = c.shape
        let new = (0..<3).map { max(old[$0], patch[$0]) }
        guard new != old else { return }
        let before = (0..<3).map { (new[$0] - old[$0]) / 2 }
        var image = [Float](repeating: value, count: new.reduce(1, *)), classes = [UInt8](repeating: padClass, count: image.count)
        for k in 0..<old[2] { for j in 0..<old[1] { for i in 0..<old[0] {
            let src = i + old[0] * (j + old[1] * k)
            let dst = (i + before[0]) + new[0] * ((j + before[1]) + new[1] * (k + before[2]))
            image[dst] = c.image[src]
            classes[dst] = c.classes[src]
        } } }
        c.shape = new
        c.image = image
        c.classes = classes
    }
}

/// Prepared cases on disk: `<key>.json` (shape, names, mask), `<key>.image.f32` and `<key>.classes.u8`
/// (raw little-endian arrays). The key hashes the content of the image and label files, the dataset's
/// table and the preprocessing settings, so any change prepares the case again.
public struct PreparedCaseCache: Sendable {
    public var directory: URL

    public init(directory: URL) { self.directory = directory }

    /// The default: $SALT_CACHE_DIR, else ~/.cache/salt/preprocessed (outside any stage's outputs, so the
    /// pipeline runner does not store it, and shared by runs with the same settings).
    public static var defaultDirectory: URL {
        if let env = ProcessInfo.processInfo.environment["SALT_CACHE_DIR"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/salt/preprocessed")
    }

    public func key(image: URL, label: URL, dataset: DatasetLabels, settings: PreprocessingSettings) throws -> String {
        var h = FNV1a64()
        for url in [image, label] {
            let data: Data
            do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
                throw SegmentationError.unreadable(path: url.path, reason: error.localizedDescription)
            }
            h.add(data)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        h.add(try encoder.encode(settings))
        h.add(Data(dataset.lookupTable))
        h.add(Data(dataset.annotated.map { $0 ? 1 : 0 }))
        h.add(Data((dataset.name + "\u{0}" + NIfTIFiles.caseName(image)).utf8))
        return String(format: "%016llx", h.value)
    }

    /// The cached case, or nil when absent or unreadable (then it is prepared again).
    public func load(key: String) -> PreparedCase? {
        let header = directory.appendingPathComponent("\(key).json")
        guard let data = FileManager.default.contents(atPath: header.path),
              let meta = try? JSONSerialization.jsonObject(with: data) as? [String: Any],  // a bad entry is rebuilt, not reported
              let shape = meta["shape"] as? [Int], let dataset = meta["dataset"] as? String, let name = meta["name"] as? String,
              let annotated = meta["annotated"] as? [Bool],
              let imageData = FileManager.default.contents(atPath: directory.appendingPathComponent("\(key).image.f32").path),
              let classData = FileManager.default.contents(atPath: directory.appendingPathComponent("\(key).classes.u8").path)
        else { return nil }
        let n = shape.reduce(1, *)
        guard shape.count == 3, imageData.count == n * 4, classData.count == n else { return nil }
        let image = imageData.withUnsafeBytes { raw in (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
        return PreparedCase(dataset: dataset, name: name, shape: shape, image: image, classes: [UInt8](classData), annotated: annotated)
    }

    public func store(_ c: PreparedCase, key: String) throws {
        var imageData = Data(capacity: c.image.count * 4)
        for v in c.image { withUnsafeBytes(of: v.bitPattern.littleEndian) { imageData.append(contentsOf: $0) } }
        try AtomicFile.write(imageData, to: directory.appendingPathComponent("\(key).image.f32"))
        try AtomicFile.write(Data(c.classes), to: directory.appendingPathComponent("\(key).classes.u8"))
        let meta: [String: Any] = ["shape": c.shape, "dataset": c.dataset, "name": c.name, "annotated": c.annotated, "format": 1]
        // The header goes last: a case counts as cached only once its arrays are in place.
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys]), to: directory.appendingPathComponent("\(key).json"))
    }
}

/// FNV-1a, 64 bit: a small stable hash for cache keys (not for security).
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ data: Data) {
        var h = value
        data.withUnsafeBytes { raw in
            for b in raw.bindMemory(to: UInt8.self) { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        }
        // Length too, so concatenations of different splits differ.
        for shift in stride(from: 0, to: 64, by: 8) { h = (h ^ UInt64((data.count >> shift) & 0xff)) &* 0x0000_0100_0000_01b3 }
        value = h
    }
}
