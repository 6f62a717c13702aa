// Bad input gives a clear error naming the case, and leaves nothing half written: no output folder (or
// the previous one untouched) and no temporary folder behind.
import Foundation
import NIfTI
import Testing
import TestSupport
@testable import Conversion

@Suite struct ErrorTests {
    /// Converts and returns the error's message; checks nothing was left half written.
    func failure(_ spec: DatasetSpec, _ src: String, _ out: String) -> String {
        let parent = (out as NSString).deletingLastPathComponent, name = (out as NSString).lastPathComponent
        let before = Fixture.files(out)
        var message = "no error"
        do { try Fixture.convert(spec, src, out) } catch { message = "\(error)" }
        #expect(Fixture.files(out) == before, "the output changed although the conversion failed")
        #expect(Fixture.entries(parent, prefix: name + ".").isEmpty, "temporary folders left: \(Fixture.entries(parent, prefix: name))")
        return message
    }

    func litsCase(_ src: String, _ n: Int, labelOrigin: [Double] = [0, 0, 0], labelShape: [Int] = [4, 4, 3], label: Bool = true) throws {
        try Fixture.write(src + "/Training Batch 1/volume-\(n).nii", shape: [4, 4, 3], Fixture.ct)
        if label {
            try Fixture.write(src + "/Training Batch 1/segmentation-\(n).nii", shape: labelShape, affine: Fixture.affine(origin: labelOrigin),
                              datatype: .uint8) { i, _, _ in Float(i % 3) }
        }
    }

    @Test func missingLabel() throws {
        let src = try Fixture.folder("e1"), out = try Fixture.folder("e1-out") + "/lits"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try litsCase(src, 0)
        try litsCase(src, 3, label: false)
        let m = failure(try Fixture.spec("lits"), src, out)
        #expect(m.contains("case 'lits_003': no label file for image") && m.contains("volume-3.nii"), "\(m)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func unfixableGridMismatch() throws {
        let src = try Fixture.folder("e2"), out = try Fixture.folder("e2-out") + "/lits"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try litsCase(src, 0)
        try litsCase(src, 1, labelOrigin: [0, 0, 5])   // 5 mm off: not a header rounding error
        let m = failure(try Fixture.spec("lits"), src, out)
        #expect(m.contains("case 'lits_001': image and label grids differ") && m.contains("up to 5.0 mm"), "\(m)")
        try FileManager.default.removeItem(atPath: src + "/Training Batch 1/segmentation-1.nii")
        try litsCase(src, 1, labelShape: [4, 4, 2])
        let m2 = failure(try Fixture.spec("lits"), src, out)
        #expect(m2.contains("case 'lits_001'") && m2.contains("label shape [4, 4, 2]"), "\(m2)")
    }

    /// A value the spec does not know; the previous conversion in the output folder survives.
    @Test func unknownValueKeepsPreviousOutput() throws {
        let src = try Fixture.folder("e3"), out = try Fixture.folder("e3-out") + "/word"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try Fixture.write(src + "/imagesTr/word_0001.nii.gz", shape: [3, 3, 2], Fixture.ct)
        try Fixture.write(src + "/labelsTr/word_0001.nii.gz", shape: [3, 3, 2], datatype: .uint8) { i, _, _ in Float(i) }
        try Fixture.convert(try Fixture.spec("word"), src, out)
        let good = Fixture.files(out)
        #expect(good.contains("train/labels/word_0001.nii.gz"))
        try Fixture.write(src + "/imagesTr/word_0002.nii.gz", shape: [3, 3, 2], Fixture.ct)
        try Fixture.write(src + "/labelsTr/word_0002.nii.gz", shape: [3, 3, 2], datatype: .uint8) { i, j, _ in i == 1 && j == 1 ? 17 : 0 }
        let m = failure(try Fixture.spec("word"), src, out)
        #expect(m.contains("case 'word_0002': label value 17") && m.contains("word_0002.nii.gz"), "\(m)")
        #expect(Fixture.files(out) == good)
    }

    @Test func unknownNames() throws {
        let src = try Fixture.folder("e4"), out = try Fixture.folder("e4-out") + "/t"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try Fixture.write(src + "/p1_ct.nii.gz", shape: [3, 3, 2], Fixture.ct)
        try Fixture.write(src + "/p1_seg.nii.gz", shape: [3, 3, 2], datatype: .uint8, labelTable: [1: "liver", 4: "unobtainium"]) { _, _, _ in 1 }
        let m = failure(try Fixture.spec("labeltable"), src, out)
        #expect(m.contains("case 'p1': label 'unobtainium'") && m.contains("p1_seg.nii.gz"), "\(m)")
        // A value the table does not name.
        try Fixture.write(src + "/p1_seg.nii.gz", shape: [3, 3, 2], datatype: .uint8, labelTable: [1: "liver"]) { i, _, _ in Float(i) }
        let m2 = failure(try Fixture.spec("labeltable"), src, out)
        #expect(m2.contains("case 'p1': label value 2"), "\(m2)")
        // A label map without a table.
        try Fixture.write(src + "/p1_seg.nii.gz", shape: [3, 3, 2], datatype: .uint8) { _, _, _ in 0 }
        let m3 = failure(try Fixture.spec("labeltable"), src, out)
        #expect(m3.contains("case 'p1'") && m3.contains("no <LabelTable>"), "\(m3)")
        // A TotalSegmentator mask of a structure the catalogue lacks.
        let ts = try Fixture.folder("e4ts")
        defer { try? FileManager.default.removeItem(atPath: ts) }
        try Fixture.write(ts + "/s0001/ct.nii.gz", shape: [3, 3, 2], Fixture.ct)
        try Fixture.write(ts + "/s0001/segmentations/liver.nii.gz", shape: [3, 3, 2], datatype: .uint8) { _, _, _ in 0 }
        try Fixture.write(ts + "/s0001/segmentations/liver_vessels.nii.gz", shape: [3, 3, 2], datatype: .uint8) { _, _, _ in 0 }
        try Fixture.text(ts + "/meta.csv", "image_id;split\ns0001;train\n")
        let m4 = failure(try Fixture.spec("totalsegmentator"), ts, out)
        #expect(m4.contains("case 's0001': label 'liver_vessels'"), "\(m4)")
        // A case missing from meta.csv.
        try Fixture.text(ts + "/meta.csv", "image_id;split\ns0002;train\n")
        let m5 = failure(try Fixture.spec("totalsegmentator"), ts, out)
        #expect(m5.contains("no row for case 's0001'"), "\(m5)")
    }

    @Test func noCasesAndMissingTool() throws {
        let src = try Fixture.folder("e5"), out = try Fixture.folder("e5-out") + "/x"
        defer { try? FileManager.default.removeItem(atPath: src) }
        let m = failure(try Fixture.spec("kits23"), src, out)
        #expect(m.contains("no case found") && m.contains("imaging.nii.gz"), "\(m)")
        do { _ = try DICOMSeries.executable(searchPath: "/nonexistent") ; Issue.record("found dcm2niix in /nonexistent") } catch {
            #expect("\(error)".contains("apt-get install dcm2niix"))
        }
    }
}
