import Testing
@testable import YAML

@Suite struct YAMLParserTests {
    @Test func blockMappingKeepsOrderAndPositions() throws {
        let text = """
        params:
          spacing: [3.0, 3.0, 3.0]
        stages:
          fetch:
            run: echo hi
        """
        let root = try #require(try YAML.parse(text, file: "p.yaml"))
        let keys = try #require(root.mapping).map { $0.key.text! }
        #expect(keys == ["params", "stages"])
        let run = try #require(root["stages"]?["fetch"]?["run"])
        #expect(run.text == "echo hi")
        #expect(run.mark == SourceMark(file: "p.yaml", line: 5, column: 10))
        #expect(run.mark.description == "p.yaml:5:10")
        let spacing = try #require(root["params"]?["spacing"]?.sequence)
        #expect(spacing.map { $0.scalarValue } == [.double(3), .double(3), .double(3)])
        #expect(spacing[1].mark.column == 18)
    }

    @Test func quotingDecidesTheType() throws {
        let root = try #require(try YAML.parse("a: 5\nb: \"5\"\nc: '5'\nd: true\ne: ~\nf: 2.5e3\ng: !!str 7\nh: 0x1F\ni: hello\nj: |\n  line\n", file: "t"))
        #expect(root["a"]?.scalarValue == .int(5))
        #expect(root["b"]?.scalarValue == .string("5"))
        #expect(root["c"]?.scalarValue == .string("5"))
        #expect(root["d"]?.scalarValue == .bool(true))
        #expect(root["e"]?.scalarValue == .null)
        #expect(root["f"]?.scalarValue == .double(2500))
        #expect(root["g"]?.scalarValue == .string("7"))
        #expect(root["h"]?.scalarValue == .int(31))
        #expect(root["i"]?.scalarValue == .string("hello"))
        #expect(root["j"]?.scalarValue == .string("line\n"))
    }

    @Test func flowCollectionsAndAliases() throws {
        let root = try #require(try YAML.parse("base: &b {x: 1, y: [a, 'b']}\ncopy: *b\n", file: "t"))
        let copy = try #require(root["copy"])
        #expect(copy["x"]?.scalarValue == .int(1))
        #expect(copy["y"]?.sequence?.map { $0.text } == ["a", "b"])
        #expect(copy.mark.line == 2)
    }

    @Test func syntaxErrorPointsAtTheLine() throws {
        do {
            _ = try YAML.parse("a: 1\nb: [1, 2\nc: 3\n", file: "bad.yaml")
            Issue.record("expected an error")
        } catch let error as YAMLError {
            guard case .syntax(let mark, _, _, let function) = error else { Issue.record("\(error)"); return }
            #expect(mark.file == "bad.yaml")
            #expect(mark.line >= 2)
            #expect(function == "yaml_parser_parse")
            #expect(error.description.hasPrefix("bad.yaml:"))
        }
    }

    @Test func duplicateKeysAndUnknownAliasesAreRejected() throws {
        #expect(throws: YAMLError.duplicateKey("a", SourceMark(file: "t", line: 2, column: 1), first: SourceMark(file: "t", line: 1, column: 1))) {
            try YAML.parse("a: 1\na: 2\n", file: "t")
        }
        #expect(throws: YAMLError.unknownAlias("nope", SourceMark(file: "t", line: 1, column: 4))) {
            try YAML.parse("a: *nope\n", file: "t")
        }
    }

    @Test func emptyStreamIsNil() throws {
        #expect(try YAML.parse("", file: "t") == nil)
        #expect(try YAML.parse("# only a comment\n", file: "t") == nil)
    }
}
