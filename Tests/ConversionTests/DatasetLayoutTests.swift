// Tiny raw datasets in each publisher's layout and file naming, converted and checked: output layout,
// label files, values (merges, 255 kept as ignore) and geometry (orientation from the affine).
import Foundation
import NIfTI
import Testing
import TestSupport
@testable import Conversion

@Suite struct DatasetLayoutTests {
    /// SAROS: case folders, splits from info.csv, unannotated slices 255 stay 255.
    @Test func saros() throws {
        let src = try Fixture.folder("saros"), out = try Fixture.folder("saros-out") + "/saros"
        defer { try? FileManager.default.removeItem(atPath: src); try? FileManager.default.removeItem(atPath: (out as NSString).deletingLastPathComponent) }
        let shape = [6, 5, 4]
        for (n, id) in ["case_000", "case_001", "case_002"].enumerated() {
            try Fixture.write(src + "/\(id)/image.nii.gz", shape: shape, Fixture.ct)
            // Slice k = 1 was not annotated: 255 everywhere; elsewhere region values by i.
            try Fixture.write(src + "/\(id)/body-regions.nii.gz", shape: shape, datatype: .uint8) { i, _, k in
                k == 1 ? 255 : Float((i + n) % 14)
            }
        }
        try Fixture.write(src + "/case_002/body-parts.nii.gz", shape: shape, datatype: .uint8) { _, _, _ in 0 }   // not used
        try Fixture.text(src + "/info.csv", "id,split,collection\ncase_000,fold-1,A\ncase_001,fold-5,B\ncase_002,test,C\n")
        let report = try Fixture.convert(try Fixture.spec("saros"), src, out)
        #expect(Fixture.files(out) == ["labels.txt", "summary.txt", "test/images/case_002.nii.gz", "test/labels/case_002.nii.gz",
                                       "train/images/case_000.nii.gz", "train/labels/case_000.nii.gz",
                                       "tree-labels.txt", "val/images/case_001.nii.gz", "val/labels/case_001.nii.gz"])
        #expect(try Fixture.lines(out + "/tree-labels.txt") == (try Fixture.lines(Shared.path("data/salt-labels/saros/tree-labels.txt"))))
        #expect(try Fixture.lines(out + "/labels.txt").count == 14)
        #expect(report.cases.map(\.split) == [.train, .val, .test])
        // Source is RAS; output LPI: every axis flipped. Output (i, j, k) is source (5 - i, 4 - j, 3 - k).
        let label = try Volume.read(out + "/train/labels/case_000.nii.gz")
        #expect(label.orientation == "LPI")
        #expect(label.datatype == .uint8)
        for k in 0..<4 { for j in 0..<5 { for i in 0..<6 {
            let want: Float = k == 2 ? 255 : Float((5 - i) % 14)
            #expect(label.voxels[label.index(i, j, k)] == want)
        } } }
        #expect(report.cases[0].voxelCounts[255] == 30)
        #expect(report.summary.contains("255 ignore: 3/3 / 90"))
    }

    /// LiTS: nested batch folders, .nii files, tumour merged into liver, a label header off by 0.3 mm
    /// repaired, case names zero-padded and sorted numerically.
    @Test func lits() throws {
        let src = try Fixture.folder("lits"), out = try Fixture.folder("lits-out") + "/lits"
        defer { try? FileManager.default.removeItem(atPath: src) }
        let shape = [5, 4, 3]
        let a = Fixture.affine(spacing: [0.7, 0.7, 2.5], origin: [-100, -120, 30])
        for (n, batch) in [(0, "Training Batch 1"), (2, "Training Batch 1"), (10, "Training Batch 2")] {
            try Fixture.write(src + "/\(batch)/volume-\(n).nii", shape: shape, affine: a, Fixture.ct)
            // Case 10's label has its origin 0.3 mm off: a header error LiTS is known for.
            let la = n == 10 ? Fixture.affine(spacing: [0.7, 0.7, 2.5], origin: [-100.3, -120, 30]) : a
            try Fixture.write(src + "/\(batch)/segmentation-\(n).nii", shape: shape, affine: la, datatype: .uint8) { i, j, _ in
                i == 0 ? 0 : (j == 0 ? 2 : 1)
            }
        }
        try Fixture.write(src + "/Test/test-volume-0.nii", shape: shape, affine: a, Fixture.ct)   // no label; not a training case
        let report = try Fixture.convert(try Fixture.spec("lits"), src, out)
        #expect(report.cases.map(\.name) == ["lits_000", "lits_002", "lits_010"])
        #expect(report.cases[2].fixes.count == 1 && report.cases[2].fixes[0].contains("0.3 mm"))
        #expect(report.summary.contains("repaired 1 header"))
        #expect(try Fixture.lines(out + "/tree-labels.txt")
                == ["-", "body,abdominal_cavity,liver,liver_parenchyma", "body,abdominal_cavity,liver,liver_tumor"])
        let split = report.cases[2].split.rawValue
        let image = try Volume.read(out + "/\(split)/images/lits_010.nii.gz")
        let label = try Volume.read(out + "/\(split)/labels/lits_010.nii.gz")
        #expect(label.affine.maxDifference(image.affine) < 1e-5)
        #expect(image.datatype == .int16)
        // Voxel (0,0,0) of the output (LPI) is source voxel (4, 3, 2): world x = -100 + 4 * 0.7, ...
        #expect(abs(image.affine.m[0][3] - (-100 + 4 * 0.7)) < 1e-4)
        #expect(abs(image.affine.m[1][3] - (-120 + 3 * 0.7)) < 1e-4)
        #expect(abs(image.affine.m[2][3] - (30 + 2 * 2.5)) < 1e-4)
        #expect(image.voxels[0] == Fixture.ct(4, 3, 2))
        #expect(label.voxels.filter { $0 == 1 }.count == 4 * 3 * 3)
        #expect(label.voxels.filter { $0 == 2 }.count == 4 * 1 * 3)
    }

    /// KiTS19: arrays stored slice axis first; the affine decides. Unlabelled test cases are left out.
    @Test func kits19SliceAxisFirst() throws {
        let src = try Fixture.folder("kits19"), out = try Fixture.folder("kits19-out") + "/kits19"
        defer { try? FileManager.default.removeItem(atPath: src) }
        // [slices, rows, columns]: i runs inferior (3 mm), j posterior, k left (0.8 mm) - "IPL".
        let affine = Affine([[0, 0, -0.8, 50], [0, -0.8, 0, 60], [-3, 0, 0, 70], [0, 0, 0, 1]])
        let shape = [4, 6, 7]
        for id in ["case_00000", "case_00001"] {
            try Fixture.write(src + "/data/\(id)/imaging.nii.gz", shape: shape, affine: affine) { i, j, k in Float(i * 100 + j * 10 + k) }
            try Fixture.write(src + "/data/\(id)/segmentation.nii.gz", shape: shape, affine: affine, datatype: .uint8) { i, j, k in
                Float((i + j + k) % 3)
            }
        }
        try Fixture.write(src + "/data/case_00210/imaging.nii.gz", shape: shape, affine: affine) { _, _, _ in 0 }
        let report = try Fixture.convert(try Fixture.spec("kits19"), src, out)
        #expect(report.cases.map(\.name) == ["case_00000", "case_00001"])
        #expect(report.skippedUnlabelled == ["case_00210"])
        let c = report.cases[0]
        let image = try Volume.read(out + "/\(c.split.rawValue)/images/case_00000.nii.gz")
        let label = try Volume.read(out + "/\(c.split.rawValue)/labels/case_00000.nii.gz")
        #expect(image.orientation == "LPI" && image.shape == [7, 6, 4])
        #expect(image.spacing.map { ($0 * 1000).rounded() / 1000 } == [0.8, 0.8, 3])
        // Output (a, b, c) is source (c, b, a): same world point, same value.
        for (a, b, cc) in [(0, 0, 0), (6, 5, 3), (2, 4, 1)] {
            #expect(image.voxels[image.index(a, b, cc)] == Float(cc * 100 + b * 10 + a))
            let expected = Float((a + b + cc) % 3)
            #expect(label.voxels[label.index(a, b, cc)] == expected)
            let world = image.affine.apply([Double(a), Double(b), Double(cc)])
            let source = affine.apply([Double(cc), Double(b), Double(a)])
            #expect(zip(world, source).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    /// KiTS21 and KiTS23: kidney, tumour and cyst keep their values (labels/kits).
    @Test func kits21And23() throws {
        for (format, file) in [("kits21", "aggregated_MAJ_seg.nii.gz"), ("kits23", "segmentation.nii.gz")] {
            let src = try Fixture.folder(format), out = try Fixture.folder(format + "-out") + "/" + format
            defer { try? FileManager.default.removeItem(atPath: src) }
            try Fixture.write(src + "/dataset/case_00003/imaging.nii.gz", shape: [4, 4, 2], Fixture.ct)
            try Fixture.write(src + "/dataset/case_00003/\(file)", shape: [4, 4, 2], datatype: .uint8) { i, _, _ in Float(i) }
            if format == "kits21" { try Fixture.write(src + "/dataset/case_00003/segmentation.nii.gz", shape: [4, 4, 2], datatype: .uint8) { _, _, _ in 9 } }
            let report = try Fixture.convert(try Fixture.spec(format), src, out)
            #expect(Array(report.cases[0].voxelCounts.prefix(4)) == [8, 8, 8, 8], "\(format)")
            #expect(try Fixture.lines(out + "/tree-labels.txt")[3] == "body,abdominal_cavity,kidneys,kidney_cysts")
        }
    }

    /// WORD: the folder suffix gives the split.
    @Test func word() throws {
        let src = try Fixture.folder("word"), out = try Fixture.folder("word-out") + "/word"
        defer { try? FileManager.default.removeItem(atPath: src) }
        for (id, s) in [("word_0001", "Tr"), ("word_0002", "Tr"), ("word_0101", "Val"), ("word_0121", "Ts")] {
            try Fixture.write(src + "/WORD-V0.1.0/images\(s)/\(id).nii.gz", shape: [3, 3, 2], Fixture.ct)
            try Fixture.write(src + "/WORD-V0.1.0/labels\(s)/\(id).nii.gz", shape: [3, 3, 2], datatype: .uint8) { i, j, k in Float((i + 3 * j + 9 * k) % 17) }
        }
        let report = try Fixture.convert(try Fixture.spec("word"), src, out)
        #expect(report.cases.map { "\($0.name):\($0.split.rawValue)" } == ["word_0001:train", "word_0002:train", "word_0101:val", "word_0121:test"])
        #expect(try Fixture.lines(out + "/labels.txt")[3] == "left kidney")
        #expect(report.cases[0].voxelCounts[16] == 1)
    }

    /// CT-ORG: ids 0-20 are test.
    @Test func ctorg() throws {
        let src = try Fixture.folder("ctorg"), out = try Fixture.folder("ctorg-out") + "/ctorg"
        defer { try? FileManager.default.removeItem(atPath: src) }
        for n in [0, 20, 21, 139] {
            try Fixture.write(src + "/OrganSegmentations/volume-\(n).nii.gz", shape: [3, 3, 2], Fixture.ct)
            try Fixture.write(src + "/OrganSegmentations/labels-\(n).nii.gz", shape: [3, 3, 2], datatype: .uint8) { i, _, _ in Float(i * 2) }
        }
        let report = try Fixture.convert(try Fixture.spec("ctorg"), src, out)
        #expect(report.cases.map(\.name) == ["ctorg_000", "ctorg_020", "ctorg_021", "ctorg_139"])
        #expect(report.cases.map(\.split).prefix(2) == [.test, .test])
        #expect(!report.cases.suffix(2).contains { $0.split == .test })
    }

    /// FLARE22: `<id>_0000.nii.gz` images pair with `<id>.nii.gz` labels.
    @Test func flare22() throws {
        let src = try Fixture.folder("flare"), out = try Fixture.folder("flare-out") + "/flare22"
        defer { try? FileManager.default.removeItem(atPath: src) }
        for id in ["FLARE22_Tr_0001", "FLARE22_Tr_0002"] {
            try Fixture.write(src + "/FLARE22Train/images/\(id)_0000.nii.gz", shape: [4, 4, 4], Fixture.ct)
            try Fixture.write(src + "/FLARE22Train/labels/\(id).nii.gz", shape: [4, 4, 4], datatype: .uint8) { i, j, k in Float((i + 4 * j + 16 * k) % 14) }
        }
        let report = try Fixture.convert(try Fixture.spec("flare22"), src, out)
        #expect(report.cases.map(\.name) == ["FLARE22_Tr_0001", "FLARE22_Tr_0002"])
        #expect(try Fixture.lines(out + "/tree-labels.txt").count == 14)
        #expect(report.expectedButMissing.isEmpty)
    }

    /// MSD / AMOS dataset.json: lists give splits, names map through the spec (aliases), test images
    /// without labels are left out, classes the dataset does not name become "-".
    @Test func msdAndAMOS() throws {
        let src = try Fixture.folder("amos"), out = try Fixture.folder("amos-out") + "/amos"
        defer { try? FileManager.default.removeItem(atPath: src) }
        for id in ["amos_0001", "amos_0004", "amos_0008"] {
            try Fixture.write(src + "/imagesTr/\(id).nii.gz", shape: [4, 3, 2], Fixture.ct)
            try Fixture.write(src + "/labelsTr/\(id).nii.gz", shape: [4, 3, 2], datatype: .uint8) { i, _, _ in Float(i) }
        }
        try Fixture.write(src + "/imagesTs/amos_0002.nii.gz", shape: [4, 3, 2], Fixture.ct)
        try Fixture.text(src + "/dataset.json", """
            {"name": "AMOS", "labels": {"0": "background", "1": "spleen", "2": "right kidney", "3": "postcava"},
             "training": [{"image": "./imagesTr/amos_0001.nii.gz", "label": "./labelsTr/amos_0001.nii.gz"},
                          {"image": "./imagesTr/amos_0004.nii.gz", "label": "./labelsTr/amos_0004.nii.gz"}],
             "validation": [{"image": "./imagesTr/amos_0008.nii.gz", "label": "./labelsTr/amos_0008.nii.gz"}],
             "test": ["./imagesTs/amos_0002.nii.gz"]}
            """)
        let report = try Fixture.convert(try Fixture.spec("msd"), src, out)
        #expect(report.cases.map { "\($0.name):\($0.split.rawValue)" } == ["amos_0001:train", "amos_0004:train", "amos_0008:val"])
        #expect(report.skippedUnlabelled == ["amos_0002"])
        let tree = try Fixture.lines(out + "/tree-labels.txt")
        #expect(tree[1] == "body,abdominal_cavity,spleen" && tree[2] == "body,abdominal_cavity,kidneys,kidney_right")
        #expect(tree[6] == "-", "liver is not named by this dataset.json")
        // Source 3 "postcava" -> class 9 (inferior_vena_cava).
        let label = try Volume.read(out + "/train/labels/amos_0001.nii.gz")
        #expect(Set(label.voxels) == [0, 1, 2, 9])
    }

    /// nnU-Net v2 dataset.json (labels name -> value, no lists; cases from imagesTr/*_0000).
    @Test func nnUNetV2() throws {
        let src = try Fixture.folder("nnunet"), out = try Fixture.folder("nnunet-out") + "/d"
        defer { try? FileManager.default.removeItem(atPath: src) }
        for id in ["liver_3", "liver_12"] {
            try Fixture.write(src + "/imagesTr/\(id)_0000.nii.gz", shape: [3, 3, 2], Fixture.ct)
            try Fixture.write(src + "/labelsTr/\(id).nii.gz", shape: [3, 3, 2], datatype: .uint8) { i, _, _ in Float(i % 2) }
        }
        try Fixture.text(src + "/dataset.json", #"{"channel_names": {"0": "CT"}, "labels": {"background": 0, "liver": 1}, "numTraining": 2, "file_ending": ".nii.gz"}"#)
        let report = try Fixture.convert(try Fixture.spec("msd"), src, out)
        #expect(report.cases.map(\.name) == ["liver_3", "liver_12"])
        #expect(report.cases[0].voxelCounts[6] == 6)
    }
}
