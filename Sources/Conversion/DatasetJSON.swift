// The Medical Segmentation Decathlon / nnU-Net `dataset.json`: which cases there are and what the label
// values are called. Two dialects:
//   MSD (and AMOS): "labels": {"0": "background", "1": "liver"}, "training": [{"image": "./imagesTr/x.nii.gz",
//     "label": "./labelsTr/x.nii.gz"}], "validation": [...] (AMOS), "test": ["./imagesTs/y.nii.gz"].
//   nnU-Net v2: "labels": {"background": 0, "liver": 1}, "file_ending": ".nii.gz", no lists: images are
//     imagesTr/<case>_0000<ending> with labelsTr/<case><ending>, and imagesTs/<case>_0000<ending>.
import Foundation

public struct DatasetJSON: Sendable {
    public struct Entry: Equatable, Sendable {
        public var id: String
        /// Relative to the dataset folder.
        public var image: String
        public var label: String?
        /// "training", "validation" or "test".
        public var list: String
    }

    /// Label value -> name.
    public var labels: [Int: String]
    public var entries: [Entry]

    /// Reads `file` (absolute) and, for nnU-Net v2, lists the folder beside it.
    public init(file: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ConversionError.badInput(case: "-", file: file, detail: "cannot read dataset.json: \(error.localizedDescription)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConversionError.badInput(case: "-", file: file, detail: "not a JSON object; expected MSD or nnU-Net's dataset.json")
        }
        guard let rawLabels = root["labels"] as? [String: Any] else {
            throw ConversionError.badInput(case: "-", file: file, detail: "no \"labels\" object")
        }
        var labels: [Int: String] = [:]
        for (k, v) in rawLabels {
            if let value = Int(k), let name = v as? String {
                labels[value] = name                                  // MSD: "1": "liver"
            } else if let value = v as? Int {
                labels[value] = k                                     // nnU-Net v2: "liver": 1
            } else {
                throw ConversionError.badInput(case: "-", file: file, detail:
                    "label '\(k)': \(v) is not one value (nnU-Net region labels are not supported; give each region its own value)")
            }
        }
        self.labels = labels

        let folder = (file as NSString).deletingLastPathComponent
        func clean(_ p: String) -> String { p.hasPrefix("./") ? String(p.dropFirst(2)) : p }
        func caseID(_ p: String) -> String {
            var base = (p as NSString).lastPathComponent
            for ext in [".nii.gz", ".nii", ".mha", ".nrrd"] where base.hasSuffix(ext) { base.removeLast(ext.count); break }
            return base
        }
        var entries: [Entry] = []
        var sawList = false
        for list in ["training", "validation", "test"] {
            guard let items = root[list] as? [Any] else { continue }
            sawList = true
            for item in items {
                if let p = item as? String {
                    entries.append(Entry(id: caseID(p), image: clean(p), label: nil, list: list))
                } else if let d = item as? [String: Any], let p = d["image"] as? String {
                    entries.append(Entry(id: caseID(p), image: clean(p), label: (d["label"] as? String).map(clean), list: list))
                } else {
                    throw ConversionError.badInput(case: "-", file: file, detail: "an entry of \"\(list)\" is neither a path nor {\"image\": ...}")
                }
            }
        }
        if !sawList {
            // nnU-Net v2: cases come from the folder listing.
            let ending = root["file_ending"] as? String ?? ".nii.gz"
            let fm = FileManager.default
            for (images, labelsFolder, list) in [("imagesTr", "labelsTr", "training"), ("imagesTs", nil, "test")] as [(String, String?, String)] {
                let names = ((try? fm.contentsOfDirectory(atPath: folder + "/" + images)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
                for n in names where n.hasSuffix(ending) {
                    let stem = String(n.dropLast(ending.count))
                    if stem.hasSuffix("_0000") {
                        let id = String(stem.dropLast(5))
                        entries.append(Entry(id: id, image: images + "/" + n,
                                             label: labelsFolder.map { $0 + "/" + id + ending }, list: list))
                    } else if stem.count > 5, stem.dropLast(4).hasSuffix("_"), Int(stem.suffix(4)) != nil {
                        throw ConversionError.badInput(case: String(stem.dropLast(5)), file: folder + "/" + images + "/" + n,
                            detail: "a second channel; salt converts single-channel (CT) datasets only")
                    }
                }
            }
        }
        self.entries = entries
    }
}
