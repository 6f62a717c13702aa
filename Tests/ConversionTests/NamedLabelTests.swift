// Datasets whose labels are named rather than numbered: TotalSegmentator's one-mask-per-structure
// dataset and label maps with a NIfTI <LabelTable>; both numbered by labels/totalseg, and merged into one
// tree by the Labels code.
import Foundation
import Labels
import NIfTI
import Testing
import TestSupport
@testable import Conversion

@Suite struct NamedLabelTests {
    static let shape = [6, 5, 4]

    /// sXXXX/ct.nii.gz + segmentations/<structure>.nii.gz + meta.csv.
    static func totalSegmentatorSource(_ src: String) throws {
        let s = shape
        for (n, id) in ["s0000", "s0001", "s0002"].enumerated() {
            try Fixture.write(src + "/\(id)/ct.nii.gz", shape: s, Fixture.ct)
            let seg = src + "/\(id)/segmentations/"
            try Fixture.write(seg + "liver.nii.gz", shape: s, datatype: .uint8) { i, _, _ in i < 3 ? 1 : 0 }
            // The spleen overlaps the liver at i = 2: the liver (later in labels/totalseg) wins.
            try Fixture.write(seg + "spleen.nii.gz", shape: s, datatype: .uint8) { i, _, _ in i == 2 || i == 3 ? 1 : 0 }
            try Fixture.write(seg + "kidney_left.nii.gz", shape: s, datatype: .uint8) { i, j, _ in i == 5 && j < 2 ? 1 : 0 }
            try Fixture.write(seg + "kidney_right.nii.gz", shape: s, datatype: .uint8) { i, j, _ in i == 5 && j >= 3 ? 1 : 0 }
            try Fixture.write(seg + "urinary_bladder.nii.gz", shape: s, datatype: .uint8) { _, _, k in k == n ? 1 : 0 }
        }
        try Fixture.text(src + "/meta.csv", "image_id;age;gender;split\ns0000;60;m;train\ns0001;70;f;val\ns0002;50;f;test\n")
    }

    @Test func totalSegmentatorDataset() throws {
        let src = try Fixture.folder("ts"), out = try Fixture.folder("ts-out") + "/totalseg"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try Self.totalSegmentatorSource(src)
        let report = try Fixture.convert(try Fixture.spec("totalsegmentator"), src, out)
        #expect(report.cases.map { "\($0.name):\($0.split.rawValue)" } == ["s0000:train", "s0001:val", "s0002:test"])
        let names = try Fixture.lines(out + "/labels.txt")
        let tree = try Fixture.lines(out + "/tree-labels.txt")
        let catalogue = try Fixture.lines(Shared.repositoryRoot.path + "/labels/totalseg/tree-labels.txt")
        #expect(names == (try Fixture.lines(Shared.repositoryRoot.path + "/labels/totalseg/labels.txt")))
        let liver = names.firstIndex(of: "liver")!, spleen = names.firstIndex(of: "spleen")!, bladder = names.firstIndex(of: "urinary_bladder")!
        #expect(spleen < liver)
        // Annotated: exactly the structures with masks; the rest of the catalogue is "-".
        let annotated = Set(tree.indices.filter { tree[$0] != "-" }.map { names[$0] })
        #expect(annotated == ["liver", "spleen", "kidney_left", "kidney_right", "urinary_bladder"])
        #expect(tree[liver] == catalogue[liver])
        // Source voxel (i, j, k) is output (5 - i, 4 - j, 3 - k) (RAS -> LPI).
        let label = try Volume.read(out + "/train/labels/s0000.nii.gz")
        func at(_ i: Int, _ j: Int, _ k: Int) -> Int { Int(label.voxels[label.index(5 - i, 4 - j, 3 - k)]) }
        #expect(at(1, 1, 1) == liver)
        #expect(at(2, 1, 1) == liver, "overlap: the later class wins")
        #expect(at(3, 1, 1) == spleen)
        #expect(at(4, 1, 1) == 0)
        #expect(at(5, 4, 0) == bladder, "the bladder (later than the kidneys) overrides kidney_right on slice 0")
        #expect(at(5, 4, 1) == names.firstIndex(of: "kidney_right")!)
    }

    /// Label maps naming their values in a <LabelTable>: values renumbered by name.
    static func labelTableSource(_ src: String) throws {
        let s = shape
        try Fixture.write(src + "/patientX_ct.nii.gz", shape: s, Fixture.ct)
        try Fixture.write(src + "/patientX_seg.nii.gz", shape: s, datatype: .uint8,
                          labelTable: [1: "liver", 2: "spleen", 7: "kidney_left", 8: "kidney_right"]) { i, _, _ in
            [0, 1, 1, 2, 7, 8][i]
        }
        try Fixture.write(src + "/patientY_ct.nii.gz", shape: s, Fixture.ct)
        try Fixture.write(src + "/patientY_seg.nii.gz", shape: s, datatype: .uint8,
                          labelTable: [5: "liver", 90: "urinary_bladder"]) { i, _, _ in i == 0 ? 90 : 5 }
    }

    @Test func labelTableMaps() throws {
        let src = try Fixture.folder("lt"), out = try Fixture.folder("lt-out") + "/tables"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try Self.labelTableSource(src)
        let report = try Fixture.convert(try Fixture.spec("labeltable"), src, out)
        #expect(report.cases.map(\.name) == ["patientX", "patientY"])
        let names = try Fixture.lines(out + "/labels.txt"), tree = try Fixture.lines(out + "/tree-labels.txt")
        let liver = names.firstIndex(of: "liver")!, bladder = names.firstIndex(of: "urinary_bladder")!
        #expect(Set(tree.indices.filter { tree[$0] != "-" }.map { names[$0] }) == ["liver", "spleen", "kidney_left", "kidney_right", "urinary_bladder"])
        let x = try Volume.read(out + "/train/labels/patientX.nii.gz"), y = try Volume.read(out + "/train/labels/patientY.nii.gz")
        // Output i = 5 - source i.
        #expect((0..<6).map { Int(x.voxels[x.index(5 - $0, 0, 0)]) }
                == [0, liver, liver, names.firstIndex(of: "spleen")!, names.firstIndex(of: "kidney_left")!, names.firstIndex(of: "kidney_right")!])
        #expect(Int(y.voxels[y.index(5, 0, 0)]) == bladder && Int(y.voxels[y.index(0, 0, 0)]) == liver)
    }

    /// The two converted datasets merge into one label tree, and agree on every class they share.
    @Test func convertedDatasetsMergeIntoOneTree() throws {
        let src1 = try Fixture.folder("ts"), src2 = try Fixture.folder("lt"), data = try Fixture.folder("merged")
        defer { for f in [src1, src2, data] { try? FileManager.default.removeItem(atPath: f) } }
        try Self.totalSegmentatorSource(src1)
        try Self.labelTableSource(src2)
        try Fixture.convert(try Fixture.spec("totalsegmentator"), src1, data + "/totalseg")
        try Fixture.convert(try Fixture.spec("labeltable"), src2, data + "/tables")
        // body would have one child (abdominal_cavity): a sink keeps the tree valid.
        try Fixture.text(data + "/tree-additional-labels.txt", "body,other\n")
        let set = try LabelSet.discover(root: URL(fileURLWithPath: data))
        #expect(set.datasets.map(\.name) == ["tables", "totalseg"])
        let names = try Fixture.lines(data + "/totalseg/labels.txt")
        let ts = set.dataset(named: "totalseg")!, tables = set.dataset(named: "tables")!
        let liverClass = set.tree.index(of: ["body", "abdominal_cavity", "liver"])!
        for structure in ["liver", "spleen", "kidney_left", "kidney_right"] {
            let v = names.firstIndex(of: structure)!
            #expect(ts.table[v] == tables.table[v] && ts.table[v] != 0, "\(structure)")
        }
        #expect(ts.table[names.firstIndex(of: "liver")!] == liverClass)
        #expect(ts.annotated[liverClass] && tables.annotated[liverClass])
        #expect(ts.annotated == tables.annotated)
        #expect(set.tree.count == 9, "tree: \(set.tree.classNames)")
        #expect(ts.splits["train"]?.count == 1 && ts.splits["val"]?.count == 1 && tables.splits["train"]?.count == 2)
    }
}
