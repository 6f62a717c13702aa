// Every file in ../shared/data/nifti-golden.json read by salt and compared with nibabel 5.4.2's reading:
// shape, datatype, affine, orientation, value statistics, label tables; header-only files must fail
// with the missing-image error.
import Foundation
import Testing
import TestSupport
@testable import NIfTI

struct GoldenReadingTests {
    static func goldenFiles() throws -> [[String: Any]] {
        let url = URL(fileURLWithPath: Shared.path("data/nifti-golden.json"))
        // Python's json writes NaN bare, which JSON does not allow: quote it, then read it back as a number.
        let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: ": NaN", with: ": \"NaN\"")
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        return json["files"] as! [[String: Any]]
    }

    static func number(_ any: Any?) -> Double {
        if let n = any as? NSNumber { return n.doubleValue }
        if let s = any as? String, s == "NaN" { return .nan }
        fatalError("not a number in nifti-golden.json: \(String(describing: any))")
    }

    static func relative(_ a: Double, _ b: Double) -> Double {
        if a == b { return 0 }
        return abs(a - b) / max(abs(b), 1e-12)
    }

    @Test func everyGoldenFileMatchesNibabel() throws {
        let files = try Self.goldenFiles()
        #expect(files.count == 19, "nifti-golden.json lists \(files.count) files")
        var worstAffine = 0.0, worstStat = 0.0
        var checked = 0
        for entry in files {
            let name = entry["file"] as! String
            let path = Shared.path("data/" + name)
            let goldenShape = (entry["shape"] as! [NSNumber]).map(\.intValue)
            let goldenAffine = Affine((entry["affine"] as! [[NSNumber]]).map { $0.map(\.doubleValue) })
            let axcodes = entry["axcodes"] as! String
            let datatypeCode = (entry["datatype"] as! NSNumber).intValue

            // The header alone reads for every file, header-only ones included.
            let header = try Volume.readHeader(path)
            #expect(header.datatypeCode == datatypeCode, "\(name): datatype code")
            #expect(header.standardAffine.maxDifference(goldenAffine) < 1e-5, "\(name): header affine\n\(header.standardAffine)\nvs\n\(goldenAffine)")
            #expect(header.qformCode == (entry["qform_code"] as! NSNumber).intValue, "\(name): qform_code")
            #expect(header.sformCode == (entry["sform_code"] as! NSNumber).intValue, "\(name): sform_code")

            guard let data = entry["data"] as? [String: Any] else {
                // Header-only .hdr: reading the volume must say the .img is missing.
                #expect(entry["data_error"] as? String == "FileNotFoundError")
                do {
                    _ = try Volume.read(path)
                    Issue.record("\(name): a header without its .img read without error")
                } catch let error as NIfTIError {
                    guard case .missingImageFile(let h, let tried) = error else {
                        Issue.record("\(name): wrong error \(error)"); continue
                    }
                    #expect(h == path && tried.contains { $0.hasSuffix(".img") })
                    #expect(error.description.contains(path) && error.description.contains("header-only"))
                }
                checked += 1
                continue
            }

            let volume = try Volume.read(path, allowingTimeSeries: true)
            #expect(volume.shape == goldenShape, "\(name): shape \(volume.shape) vs \(goldenShape)")
            #expect(volume.datatype.code == datatypeCode, "\(name): datatype \(volume.datatype)")
            let affineDifference = volume.affine.maxDifference(goldenAffine)
            worstAffine = max(worstAffine, affineDifference)
            #expect(affineDifference < 1e-5, "\(name): affine differs by \(affineDifference)")
            #expect(volume.orientation == axcodes, "\(name): orientation \(volume.orientation) vs \(axcodes)")
            // Spacing (affine column lengths) agrees with nibabel's zooms (pixdim 1...3).
            let zooms = (entry["pixdim"] as! [NSNumber]).map(\.doubleValue)[1...3].map(abs)
            for d in 0..<3 {
                #expect(Self.relative(volume.spacing[d], zooms[d]) < 1e-5, "\(name): spacing \(volume.spacing) vs pixdim \(zooms)")
            }
            if goldenShape.count == 4 {
                // Several volumes: a plain read (scalar 3D wanted) must refuse.
                #expect(throws: NIfTIError.self) { _ = try Volume.read(path) }
            }

            let stats = VolumeStatistics(volume.voxels)
            var indexWeighted = 0.0
            for (n, v) in volume.voxels.enumerated() { indexWeighted += Double(v) * Double(n % 1009) }
            let goldenMin = Self.number(data["min"])
            if goldenMin.isNaN {
                #expect(stats.nanCount > 0, "\(name): nibabel sees NaN voxels, salt saw none")
            } else {
                #expect(stats.nanCount == 0, "\(name): \(stats.nanCount) NaN voxels")
                let pairs: [(String, Double)] = [("min", stats.min ?? .nan), ("max", stats.max ?? .nan), ("sum", stats.sum),
                                                 ("sum_sq", stats.sumOfSquares), ("index_weighted_sum", indexWeighted),
                                                 ("first_value", Double(volume.voxels.first!)), ("last_value", Double(volume.voxels.last!))]
                for (key, value) in pairs {
                    let d = Self.relative(value, Self.number(data[key]))
                    worstStat = max(worstStat, d)
                    #expect(d < 1e-6, "\(name): \(key) \(value) vs \(data[key]!) (relative \(d))")
                }
            }
            let centre = (data["centre_index"] as! [NSNumber]).map(\.intValue)
            var flat = 0, stride = 1
            for (axis, c) in centre.enumerated() { flat += c * stride; stride *= volume.shape[axis] }
            let centreValue = Self.number(data["centre_value"])
            #expect(Self.relative(Double(volume.voxels[flat]), centreValue) < 1e-6, "\(name): centre value")
            if let counts = data["label_counts"] as? [String: NSNumber] {
                let golden = Dictionary(uniqueKeysWithValues: counts.map { (Int($0.key)!, $0.value.intValue) })
                #expect(stats.valueCounts == golden, "\(name): label counts differ")
            }
            let goldenTable = (entry["label_table"] as? [String: String]).map {
                Dictionary(uniqueKeysWithValues: $0.map { (Int($0.key)!, $0.value) })
            } ?? [:]
            #expect(volume.labelTable == goldenTable, "\(name): label table has \(volume.labelTable.count) names, nibabel \(goldenTable.count)")
            checked += 1
        }
        print("golden NIfTI files checked: \(checked); largest affine difference \(worstAffine), largest relative statistic difference \(worstStat)")
        #expect(checked == files.count)
    }
}
