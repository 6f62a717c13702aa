// The project's labels/ folder: SALT's files unchanged, new label sets valid, TotalSegmentator covered;
// and the tree's exports (JSON round trip, ITK-SNAP, Slicer, outline).
import Foundation
import Testing
import TestSupport
@testable import Labels

func projectLabels(_ name: String) -> URL {
    Shared.repositoryRoot.appendingPathComponent("labels").appendingPathComponent(name)
}

/// Names in a TotalSegmentator label map's NIfTI extension (<Label Key="5" ...><![CDATA[liver]]></Label>),
/// read with the system's gzip (this test target does not link zlib).
func totalSegmentatorNames(_ file: String) throws -> [Int: String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-dc", Shared.path("data/real/totalseg/\(file)")]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    // The extension sits right after the 348-byte header; the first 200 KB hold it.
    let text = String(decoding: data.prefix(200_000), as: UTF8.self)
    var names: [Int: String] = [:]
    let regex = try NSRegularExpression(pattern: #"<Label Key="(\d+)"[^>]*><!\[CDATA\[([^\]]*)\]\]>"#)
    for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
        let key = Int(text[Range(m.range(at: 1), in: text)!])!
        names[key] = String(text[Range(m.range(at: 2), in: text)!])
    }
    return names
}

@Suite struct LabelFolderTests {
    static let saltSets = ["saros", "saros+totalseg", "word", "ctorg", "flare22", "lctsc", "luna16lobes"]

    @Test func saltFilesAreUnchangedCopies() throws {
        for name in Self.saltSets {
            for file in ["labels.txt", "tree-labels.txt"] {
                let ours = try Data(contentsOf: projectLabels(name).appendingPathComponent(file))
                let theirs = try Data(contentsOf: URL(fileURLWithPath: Shared.path("data/salt-labels/\(name)/\(file)")))
                #expect(ours == theirs, "labels/\(name)/\(file) differs from SALT's")
            }
        }
    }

    @Test func everyLabelSetMergesIntoOneValidTree() throws {
        let set = try LabelSet.discover(root: Shared.repositoryRoot.appendingPathComponent("labels"))
        #expect(set.datasets.map(\.name) == ["ctorg", "flare22", "kits", "lctsc", "lits", "luna16lobes", "saros", "saros+totalseg", "totalseg", "word"])
        #expect(set.tree.count == 175)
        // SALT's 145 classes keep their relative order inside the bigger tree.
        let golden = try Shared.goldenJSON("tree.json") as! [String: Any]
        let salt = (golden["labels"] as! [[String]]).map { set.tree.index(of: $0)! }
        #expect(salt == salt.sorted())
        // TotalSegmentator alone is a valid tree; LiTS and KiTS alone need the sinks the README gives.
        _ = try LabelSet.load(datasets: [projectLabels("totalseg")])
        for name in ["lits", "kits"] {
            #expect(throws: LabelError.self) { try LabelSet.load(datasets: [projectLabels(name)]) }
            let set = try LabelSet.merge([(name, try LabelFile.read(directory: projectLabels(name)))],
                                         sinks: [["body", "other"], ["body", "abdominal_cavity", "other"]])
            #expect(set.datasets[0].annotated.filter { $0 }.count == (name == "lits" ? 3 : 3))
        }
    }

    @Test func kitsAndLitsAnnotateTheirSubtreesCompletely() throws {
        let set = try LabelSet.load(datasets: [projectLabels("kits"), projectLabels("lits"), projectLabels("totalseg")])
        let tree = set.tree
        let kits = set.dataset(named: "kits")!, lits = set.dataset(named: "lits")!, ts = set.dataset(named: "totalseg")!
        let kidneys = tree.index(ofName: "body,abdominal_cavity,kidneys")!
        #expect(kits.table == [0, kidneys, tree.index(ofName: "body,abdominal_cavity,kidneys,kidney_tumor")!,
                               tree.index(ofName: "body,abdominal_cavity,kidneys,kidney_cysts")!])
        #expect(kits.annotatedClasses.map { tree.classNames[$0] } == ["body,abdominal_cavity,kidneys", "body,abdominal_cavity,kidneys,kidney_cysts", "body,abdominal_cavity,kidneys,kidney_tumor"])
        #expect(lits.annotatedClasses.map { tree.classNames[$0] } == ["body,abdominal_cavity,liver", "body,abdominal_cavity,liver,liver_parenchyma", "body,abdominal_cavity,liver,liver_tumor"])
        // TotalSegmentator's cysts make kidney_cysts complete, but not kidneys (no tumour label).
        #expect(ts.annotated[tree.index(ofName: "body,abdominal_cavity,kidneys,kidney_cysts")!])
        #expect(!ts.annotated[kidneys])
    }

    @Test func totalSegmentatorNamesAllHavePaths() throws {
        let file = try LabelFile.read(directory: projectLabels("totalseg"))
        let tree = try LabelSet.load(datasets: [projectLabels("totalseg")]).tree
        #expect(file.paths.count == 118 && file.paths[0] == nil)
        for seg in ["patientA_seg.nii.gz", "patientC_seg.nii.gz"] {
            let names = try totalSegmentatorNames(seg)
            #expect(names.count == 117, "\(seg): \(names.count) names in its label table")
            for (key, name) in names {
                #expect(file.sourceNames[key] == name, "\(seg): value \(key) is '\(name)', labels/totalseg says '\(file.sourceNames[key])'")
                #expect(file.paths[key] != nil, "\(seg): '\(name)' has no path")
            }
        }
        // patientB_heart is a 0/1 heart mask: TotalSegmentator's 'heart' (SALT's LCTSC choice: the pericardium).
        let heart = file.sourceNames.firstIndex(of: "heart")!
        #expect(file.paths[heart] == ["body", "thoracic_cavity", "mediastinum", "pericardium"])
        #expect(tree.index(of: file.paths[heart]!) != nil)
    }

    @Test func exportsRoundTripAndFollowSalt() throws {
        let set = try LabelSet.merge(try ["saros+totalseg", "word"].map { ($0, try saltLabels($0)) }, sinks: [["body", "other"]])
        let json = try JSONSerialization.data(withJSONObject: set.tree.jsonObject)
        let back = try LabelTree(jsonObject: try JSONSerialization.jsonObject(with: json), source: "t.json")
        #expect(back == set.tree)
        #expect(back.sinks == [set.tree.index(ofName: "body,other")!])
        #expect(throws: LabelError.self) { try LabelTree(jsonObject: ["classes": [["b", "x"]]], source: "t.json") }
        #expect(LabelTree.paletteColour(1) == (128, 0, 0) && LabelTree.paletteColour(255) == (224, 224, 192))
        let snap = set.tree.itkSnapLabels.split(separator: "\n")
        #expect(snap[14] == #"   0    0    0    0        0  0  0     "background""#)
        #expect(snap[15] == #"   1  128    0    0        1  1  1     "body""#)
        #expect(snap.last == #" 255  224  224  192        1  1  1     "ignore""#)
        let slicer = set.tree.slicerColourTable.split(separator: "\n")
        #expect(slicer[3] == "1 body 128 0 0 255" && slicer.count == set.tree.count + 3)
        let outline = set.outline()
        #expect(outline.contains("(sink)"))
        #expect(outline.split(separator: "\n").contains { $0.contains(" kidneys ") && $0.contains("saros+totalseg*, word") })
        let dir = try Shared.temporaryDirectory("labels-export")
        defer { try? FileManager.default.removeItem(at: dir) }
        let written = try set.write(to: dir)
        #expect(written.map(\.lastPathComponent) == ["tree.json", "itksnap_labels.txt", "slicer_labels.ctbl"])
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: written[0])) as! [String: Any]
        #expect(try LabelTree(jsonObject: obj) == set.tree)
        #expect((obj["datasets"] as! [[String: Any]]).map { $0["name"] as! String } == ["saros+totalseg", "word"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["itksnap_labels.txt", "slicer_labels.ctbl", "tree.json"])
    }
}
