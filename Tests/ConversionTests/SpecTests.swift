// Spec files, path patterns, CSV tables and split rules: the parts that need no volume.
import Foundation
import Testing
import TestSupport
@testable import Conversion

@Suite struct SpecTests {
    @Test func everySpecInConversionLoads() throws {
        let library = SpecLibrary(folders: [Fixture.specs])
        let expected = ["ctorg", "dicom", "flare22", "heart-mask", "kits19", "kits21", "kits23", "labeltable", "lits", "msd",
                        "saros", "totalsegmentator", "word"]
        #expect(library.known == expected)
        for name in library.known {
            let spec = try DatasetSpec.load(file: try library.file(for: name))
            #expect(spec.name == name)
            #expect(!spec.summary.isEmpty, "spec \(name) has no summary")
            #expect(spec.classes.first?.name == "background", "spec \(name): value 0 should be background")
        }
        let saros = try Fixture.spec("saros")
        #expect(saros.classes.count == 14)
        #expect(saros.classes[7].path == "body,thoracic_cavity,mediastinum,pericardium")
        #expect(saros.split.csv?.values["fold-5"] == .val)
        let lits = try Fixture.spec("lits")
        #expect(lits.classes.map(\.path) == (try Fixture.lines(Shared.repositoryRoot.path + "/labels/lits/tree-labels.txt")))
        #expect(lits.fixes.headerToleranceMM == 1.0)
        #expect(lits.caseName == "lits_{case:3}")
        let ts = try Fixture.spec("totalsegmentator")
        #expect(ts.encoding == .structureMasks(pattern: "{case}/segmentations/{structure}.nii.gz"))
        #expect(ts.classes.count == 118 && ts.classes[5].name == "liver" && ts.classes[5].sourceValues == [5])
        // classes-from resolves against the given repository root.
        let root = try Fixture.catalogue("totalseg", [("background", "-"), ("liver", "body,abdominal_cavity,liver")])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try Fixture.spec("totalsegmentator", root: root).classes.map(\.name) == ["background", "liver"])
    }

    /// The spec files agree with SALT's own label files and the repository's labels/ (same paths, in order).
    @Test func specsMatchSALTLabelFiles() throws {
        for name in ["saros", "word", "ctorg", "flare22"] {
            let s = try Fixture.spec(name)
            let salt = try Fixture.lines(Shared.path("data/salt-labels/\(name)/tree-labels.txt"))
            #expect(s.classes.map(\.path) == Array(salt.prefix(s.classes.count)), "spec \(name) vs salt-labels/\(name)")
            let repo = try Fixture.lines(Shared.repositoryRoot.path + "/labels/\(name)/tree-labels.txt")
            #expect(s.classes.map(\.path) == Array(repo.prefix(s.classes.count)), "spec \(name) vs labels/\(name)")
        }
        let kits = try Fixture.lines(Shared.repositoryRoot.path + "/labels/kits/tree-labels.txt")
        #expect(try Fixture.spec("kits19").classes.map(\.path) == Array(kits.prefix(3)))
    }

    @Test func unknownFormatListsKnownOnes() throws {
        let library = SpecLibrary(folders: [Fixture.specs])
        #expect(throws: ConversionError.self) { try library.file(for: "nnunet") }
        do { _ = try library.file(for: "nnunet") } catch {
            let message = "\(error)"
            #expect(message.contains("unknown format 'nnunet'"))
            #expect(message.contains("kits19, kits21, kits23"))
        }
    }

    @Test func badSpecsNameLineAndColumn() throws {
        func message(_ text: String) -> String {
            do { _ = try DatasetSpec.parse(text, file: "x.yaml", defaultName: "x", repositoryRoot: "/"); return "no error" } catch { return "\(error)" }
        }
        #expect(message("image: a/{case}.nii\nclasses:\n  - {name: bg, path: \"-\"}\n  - {name: x, pth: a}\n").hasPrefix("x.yaml:4:15: unknown key 'pth'"))
        #expect(message("image: a/{case}.nii\nclasses:\n  - {name: a, path: \"-\", source: 1}\n  - {name: b, path: \"-\", source: 1}\n")
            .contains("source value 1 feeds both 'a' and 'b'"))
        #expect(message("image: a/{cas}.nii\nclasses: [{name: a, path: \"-\"}]\n").contains("unknown placeholder {cas}"))
        #expect(message("image: a/{case}.nii\nsplit: {val-fraction: 1.5}\nclasses: [{name: a, path: \"-\"}]\n").hasPrefix("x.yaml:2:23: val-fraction"))
        #expect(message("label: a.nii\n").contains("needs 'image'"))
        #expect(message("image: a/{case}.nii\nclasses: [{name: a, path: \"body,,liver\"}]\n").contains("empty component"))
    }

    @Test func pathPatterns() throws {
        let lits = try PathPattern("**/volume-{case}.nii")
        #expect(lits.match("Training Batch 1/volume-12.nii") == ["case": "12"])
        #expect(lits.match("volume-3.nii.gz") == ["case": "3"])
        #expect(lits.match("Training Batch 2/test-volume-3.nii") == nil)
        #expect(lits.match("volume-3.nii.gz.bak") == nil)
        let word = try PathPattern("**/images{split}/{case}.nii.gz")
        #expect(word.match("WORD-V0.1.0/imagesVal/word_0101.nii.gz") == ["split": "Val", "case": "word_0101"])
        let flare = try PathPattern("**/images/{case}_0000.nii.gz")
        #expect(flare.match("FLARE22Train/images/FLARE22_Tr_0001_0000.nii.gz") == ["case": "FLARE22_Tr_0001"])
        let ts = try PathPattern("{case}/segmentations/{structure}.nii.gz")
        #expect(ts.match("s0011/segmentations/kidney_left.nii.gz") == ["case": "s0011", "structure": "kidney_left"])
        #expect(ts.match("x/s0011/segmentations/kidney_left.nii.gz") == nil)
        let twice = try PathPattern("{split}/{case}_{split}.nii")
        #expect(twice.match("a/x_a.nii") == ["split": "a", "case": "x"])
        #expect(twice.match("a/x_b.nii") == nil)
    }

    @Test func caseNamesAndNaturalOrder() {
        #expect(renderCaseName("lits_{case:3}", id: "7") == "lits_007")
        #expect(renderCaseName("lits_{case:3}", id: "1234") == "lits_1234")
        #expect(renderCaseName("{case:4}", id: "case_7") == "case_7")
        #expect(renderCaseName("{case}", id: "s0001") == "s0001")
        #expect(["c10", "c2", "c1"].sorted(by: naturalLess) == ["c1", "c2", "c10"])
    }

    @Test func csvTables() throws {
        let meta = try CSVTable(text: "image_id;age;split\ns0000;64;train\ns0001;\"5;1\";test\n", file: "meta.csv")
        #expect(meta.header == ["image_id", "age", "split"])
        #expect(try meta.dictionary(key: "image_id", value: "split") == ["s0000": "train", "s0001": "test"])
        #expect(meta.rows[1][1] == "5;1")
        let info = try CSVTable(text: "\u{FEFF}id,split,note\r\ncase_000,fold-1,\"a \"\"b\"\"\"\r\n", file: "info.csv")
        #expect(info.rows == [["case_000", "fold-1", "a \"b\""]])
        #expect(throws: ConversionError.self) { try info.column("image_id") }
    }

    @Test func splitRules() throws {
        var rule = SplitRule()
        rule.ids = [IDRange(0, 20, .test)]
        rule.valFraction = 0.25
        let assigner = try SplitAssigner(rule: rule, source: "/", forced: nil)
        func split(_ id: String) throws -> Split { try assigner.split(of: SourceCase(id: id, name: "c" + id, image: "", label: nil)) }
        #expect(try split("0") == .test)
        #expect(try split("20") == .test)
        let rest = try (21..<421).map { try split(String($0)) }
        #expect(!rest.contains(.test))
        let val = rest.filter { $0 == .val }.count
        #expect(val > 70 && val < 130, "val fraction 0.25 of 400 gave \(val)")
        // The same names give the same splits, run after run (a fixed hash, not Swift's seeded one).
        #expect(StableHash.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableHash.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        let forced = try SplitAssigner(rule: rule, source: "/", forced: .val)
        #expect(try forced.split(of: SourceCase(id: "3", name: "c3", image: "", label: nil)) == .val)
    }
}
