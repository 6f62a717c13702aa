// Label trees against the reference's tree.json and mini_tree.json, and malformed label files.
import Foundation
import Testing
import TestSupport
@testable import Labels

func saltLabels(_ name: String) throws -> LabelFile {
    try LabelFile.read(directory: URL(fileURLWithPath: Shared.path("data/salt-labels/\(name)")))
}

func ints(_ any: Any?) -> [Int] { (any as! [Any]).map { ($0 as! NSNumber).intValue } }

@Suite struct LabelTreeTests {
    @Test func mergedTreeMatchesReference() throws {
        let golden = try Shared.goldenJSON("tree.json") as! [String: Any]
        let names = golden["datasets"] as! [String]
        let set = try LabelSet.merge(try names.map { ($0, try saltLabels($0)) })
        let tree = set.tree
        #expect(tree.count == (golden["num_classes"] as! NSNumber).intValue)
        let paths = (golden["labels"] as! [[String]])
        #expect(tree.paths == paths)
        let adjacency = (golden["adjacency_matrix"] as! [Any]).map(ints)
        #expect(tree.adjacency.map { $0.map(Int.init) } == adjacency)
        #expect(tree.leaves == ints(golden["leaf_indices"]))
        #expect(ints(golden["sink_mask"]).allSatisfy { $0 == 0 } && tree.sinks.isEmpty)
        for entry in golden["per_dataset"] as! [[String: Any]] {
            let name = entry["name"] as! String
            let ds = try DatasetLabels(name: name, file: try saltLabels(name), tree: tree)
            #expect(ds.table == ints(entry["label_lut"]), "label table of \(name)")
            #expect(ds.annotated.map { $0 ? 1 : 0 } == ints(entry["class_mask"]), "class mask of \(name)")
        }
        // Loaded tables agree with the ones mapped afterwards.
        #expect(set.datasets.map(\.name) == names.sorted())
        #expect(set.dataset(named: "word")?.table == ints((golden["per_dataset"] as! [[String: Any]]).first { $0["name"] as! String == "word" }!["label_lut"]))
    }

    @Test func singleChildTreesAreRejectedNamingTheNodes() throws {
        let golden = try Shared.goldenJSON("tree.json") as! [String: Any]
        let invalid = golden["invalid"] as! [[String: Any]]
        #expect(invalid.count == 3)
        for entry in invalid {
            let names = entry["datasets"] as! [String]
            let expected = (entry["single_child_nodes"] as! [[String]]).map { $0.joined(separator: ",") }
            do {
                _ = try LabelSet.merge(try names.map { ($0, try saltLabels($0)) })
                Issue.record("\(names) should be rejected")
            } catch let LabelError.singleChildNodes(nodes, datasets) {
                #expect(nodes == expected)
                #expect(datasets == names)
                let message = "\(LabelError.singleChildNodes(nodes: nodes, datasets: datasets))"
                for node in expected { #expect(message.contains(node)) }
            }
        }
    }

    @Test func miniTreeMatchesReference() throws {
        let golden = try Shared.goldenJSON("mini_tree.json") as! [String: Any]
        let lines = golden["tree_labels_txt"] as! [String]
        let file = try LabelFile(treeLabels: lines.joined(separator: "\n") + "\n", treeLabelsFile: "mini/tree-labels.txt")
        let set = try LabelSet.merge([("mini", file)])
        #expect(set.tree.paths == golden["labels"] as! [[String]])
        #expect(set.tree.adjacency.map { $0.map(Int.init) } == (golden["adjacency_matrix"] as! [Any]).map(ints))
        #expect(set.datasets[0].table == ints(golden["label_lut"]))
        #expect(set.datasets[0].annotated.map { $0 ? 1 : 0 } == ints(golden["class_mask"]))
    }

    /// SALT crashes when every child of the root is annotated (e.g. SAROS alone after its tree is made
    /// valid); the root is no class, so that group marks nothing.
    @Test func fullyAnnotatedRootGroupDoesNotCrash() throws {
        let file = try LabelFile(treeLabels: "background\nbody,a\nbody,b\n", treeLabelsFile: "t.txt")
        let set = try LabelSet.merge([("x", file)])
        #expect(set.tree.classNames == ["background", "body", "body,a", "body,b"])
        #expect(set.datasets[0].annotated == [true, true, true, true])
        #expect(set.datasets[0].lookupTable[255] == 255 && set.datasets[0].lookupTable[3] == 255)
    }

    @Test func ancestorClosureNeedsEveryChild() throws {
        let set = try LabelSet.merge([
            ("a", try LabelFile(treeLabels: "bg\nbody,k,kl\nbody,k,kr\nbody,o\n", treeLabelsFile: "a")),
            ("b", try LabelFile(treeLabels: "bg\nbody,k,kl\n-\nbody,o\n", treeLabelsFile: "b")),
        ])
        // classes: bg, body, body,k, body,k,kl, body,k,kr, body,o
        #expect(set.datasets[0].annotated == [true, true, true, true, true, true])
        #expect(set.datasets[1].annotated == [true, false, false, true, false, true])
        #expect(set.datasets[1].table == [0, 3, 0, 5])
    }

    @Test func pythonOrderPutsPrefixesAndUppercaseFirst() throws {
        let tree = try LabelTree(paths: [["b", "x"], ["b", "X"], ["a_b"], ["a", "z"], ["a", "y"], ["b"]])
        #expect(tree.classNames == ["a", "a,y", "a,z", "a_b", "b", "b,X", "b,x"])
        #expect(tree.parent == [-1, 0, 0, -1, -1, 4, 4])
        #expect(tree.groups.map(\.parent) == [-1, 0, 4])
    }

    @Test func malformedFilesNameFileAndLine() throws {
        #expect(throws: LabelError.emptyPathPart(file: "t.txt", line: 3, text: "body,,liver")) {
            try LabelFile(treeLabels: "background\n-\nbody,,liver\n", treeLabelsFile: "t.txt")
        }
        #expect(throws: LabelError.emptyPathPart(file: "t.txt", line: 1, text: "body,")) {
            try LabelFile(treeLabels: "body,\n", treeLabelsFile: "t.txt")
        }
        let many = Array(repeating: "-", count: 256).joined(separator: "\n")
        #expect(throws: LabelError.tooManyLines(file: "t.txt", count: 256)) {
            try LabelFile(treeLabels: many, treeLabelsFile: "t.txt")
        }
        #expect("\(LabelError.tooManyLines(file: "t.txt", count: 256))".hasPrefix("t.txt:256:"))
        #expect(throws: LabelError.lineCountMismatch(labelsFile: "l.txt", labelsLines: 1, treeFile: "t.txt", treeLines: 2)) {
            try LabelFile(treeLabels: "a\nb\n", treeLabelsFile: "t.txt", labels: "x\n", labelsFile: "l.txt")
        }
        let tree = try LabelTree(paths: [["a"], ["b"]])
        let file = try LabelFile(treeLabels: "a\n-\nc,d\n", treeLabelsFile: "t.txt")
        #expect(throws: LabelError.pathNotInTree(file: "t.txt", line: 3, path: "c,d")) {
            try DatasetLabels(name: "x", file: file, tree: tree)
        }
        #expect("\(LabelError.pathNotInTree(file: "t.txt", line: 3, path: "c,d"))".hasPrefix("t.txt:3:"))
        // CRLF, blank lines for unannotated values, whitespace around parts.
        let crlf = try LabelFile(treeLabels: "a\r\n\r\n b , c \r\n", treeLabelsFile: "t.txt")
        #expect(crlf.paths == [["a"], nil, ["b", "c"]])
    }

    @Test func discoversSaltLayoutWithSinks() throws {
        let root = try Shared.temporaryDirectory("labels-discover")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        for name in ["word", "saros+totalseg"] {
            let dir = root.appendingPathComponent(name)
            try fm.createDirectory(at: dir.appendingPathComponent("train/images"), withIntermediateDirectories: true)
            try fm.createDirectory(at: dir.appendingPathComponent("train/labels"), withIntermediateDirectories: true)
            for f in ["labels.txt", "tree-labels.txt"] {
                try fm.copyItem(atPath: Shared.path("data/salt-labels/\(name)/\(f)"), toPath: dir.appendingPathComponent(f).path)
            }
            try Data().write(to: dir.appendingPathComponent("train/images/c1.nii.gz"))
            try Data().write(to: dir.appendingPathComponent("train/labels/c1.nii.gz"))
            try Data().write(to: dir.appendingPathComponent("train/images/c0.nii.gz"))
        }
        try "body,thoracic_cavity,lungs,other\n".write(to: root.appendingPathComponent("tree-additional-labels.txt"), atomically: true, encoding: .utf8)
        let set = try LabelSet.discover(root: root)
        #expect(set.datasets.map(\.name) == ["saros+totalseg", "word"])
        #expect(set.tree.count == 146)
        #expect(set.tree.sinks == [set.tree.index(ofName: "body,thoracic_cavity,lungs,other")!])
        let cases = set.datasets[1].splits["train"]!
        #expect(cases.map { $0.image.lastPathComponent } == ["c0.nii.gz", "c1.nii.gz"])
        #expect(cases[0].label == nil && cases[1].label != nil)
        #expect(throws: LabelError.noDatasets(root: root.appendingPathComponent("word/train").path)) {
            try LabelSet.discover(root: root.appendingPathComponent("word/train"))
        }
    }
}
