import Testing
@testable import Pipeline

private let fs = MemoryFileSystem(files: ["/ws/raw/a.txt": "a", "/ws/in.txt": "x"])

private func load(_ text: String, overrides: [String] = []) throws -> Pipeline {
    try Pipeline.parse(text, file: "p.yaml", root: "/ws", overrides: overrides.map { try Override($0) }, fileSystem: fs)
}

/// The error's message, or a marker when loading succeeded.
private func message(_ text: String, overrides: [String] = []) -> String {
    do { _ = try load(text, overrides: overrides); return "<loaded>" } catch { return "\(error)" }
}

@Suite struct PipelineLoadingTests {
    let example = """
    params:
      spacing: [3.0, 3.0, 3.0]
      name: ts
      epochs: 50
    stages:
      convert:
        uses: convert
        with: {format: totalsegmentator, source: raw, output: "data/${params.name}"}
      train:
        uses: train
        with:
          data-dir: data/ts
          output-dir: runs/${params.name}
          epochs: ${params.epochs}
          spacing: ${params.spacing}
          resume: true
          lr: null
      report:
        run: cat runs/ts/log.txt > report-${params.name}.txt
        deps: [runs/ts]
        outs: [report-ts.txt]
    """

    @Test func interpolatesParamsKeepingTypes() throws {
        let p = try load(example)
        #expect(p.stages.map(\.name) == ["convert", "train", "report"])
        guard case .builtin(let kind, let options) = p.stages[1].action else { Issue.record("train is not built-in"); return }
        #expect(kind.name == "train")
        #expect(options["spacing"] == .list([.double(3), .double(3), .double(3)]))
        #expect(options["epochs"] == .int(50))
        #expect(options["output-dir"] == .string("runs/ts"))
        guard case .shell(let command) = p.stages[2].action else { Issue.record("report is not shell"); return }
        #expect(command == "cat runs/ts/log.txt > report-ts.txt")
        #expect(p.stages[0].outs.map(\.path) == ["data/ts"])
        #expect(p.stages[1].deps.map(\.path) == ["data/ts"])
        #expect(p.graph.upstream == [[], [0], [1]])
        #expect(p.graph.order == [0, 1, 2])
    }

    @Test func builtinCommandLine() throws {
        let p = try load(example)
        let argv = p.stages[1].commandLine(executable: "/bin/salt") { $0 + ".tmp" }
        #expect(argv == ["/bin/salt", "train", "--data-dir", "data/ts", "--epochs", "50",
                         "--output-dir", "runs/ts.tmp", "--resume", "--spacing", "3.0,3.0,3.0"])
    }

    @Test func overridesParamsAndStageOptions() throws {
        let p = try load(example, overrides: ["params.spacing=[2,2,2]", "train.epochs=5", "params.name=\"ts\""])
        guard case .builtin(_, let options) = p.stages[1].action else { Issue.record("not built-in"); return }
        #expect(options["spacing"] == .list([.int(2), .int(2), .int(2)]))
        #expect(options["epochs"] == .int(5))
        #expect(p.stages[1].definition["with.epochs"] == .int(5))
        #expect(message(example, overrides: ["params.spacng=[1]"]).contains("did you mean 'spacing'"))
        #expect(message(example, overrides: ["trian.epochs=5"]).contains("did you mean 'train'"))
        #expect(message(example, overrides: ["report.x=1"]).contains("shell stage"))
    }

    /// A misspelt option of a built-in kind is caught at load time, in the file and with --set; a list
    /// reaches a repeatable option as one flag per path, and no other path option takes a list.
    @Test func builtinOptionsAreCheckedAndListsRepeat() throws {
        let typo = message("stages:\n  t:\n    uses: train\n    with: {data-dir: in.txt, output-dir: o, epoch: 5}\n")
        #expect(typo.hasPrefix("p.yaml:4:45: unknown key 'epoch' in the options of 'train' (stage 't') (did you mean 'epochs'?)"), "\(typo)")
        let set = message("stages:\n  t:\n    uses: train\n    with: {data-dir: in.txt, output-dir: o}\n", overrides: ["t.epoch=5"])
        #expect(set.contains("'train' has no option 'epoch' (did you mean 'epochs'?)"), "\(set)")
        let tree = try load("stages:\n  t:\n    uses: tree\n    with: {dataset: [raw/a.txt, in.txt], output-dir: tree}\n")
        #expect(tree.stages[0].deps.map(\.path) == ["raw/a.txt", "in.txt"])
        #expect(tree.stages[0].commandLine(executable: "salt") == ["salt", "tree", "--dataset", "raw/a.txt", "--dataset", "in.txt", "--output-dir", "tree"])
        let noInput = message("stages:\n  t:\n    uses: tree\n    with: {output-dir: tree}\n")
        #expect(noInput.contains("needs 'data-dir'; add 'data-dir: PATH' or 'dataset: PATH' under with:"), "\(noInput)")
        let list = message("stages:\n  e:\n    uses: evaluate\n    with: {predictions: [in.txt, raw/a.txt], data-dir: in.txt, output-dir: o}\n")
        #expect(list.contains("option 'predictions' of stage 'e' must be one path"), "\(list)")
    }

    /// A file a built-in kind reads without an option naming it (convert's spec for `format:`) is an input:
    /// in the stage's deps (so in its key), re-derived after a --set, and absent when `spec:` is given.
    @Test func implicitInputsOfBuiltinKinds() throws {
        let specs = MemoryFileSystem(files: ["/ws/raw/a.txt": "a", "/specs/lits.yaml": "x", "/specs/kits.yaml": "y", "/ws/my.yaml": "z"])
        let text = "stages:\n  c:\n    uses: convert\n    with: {format: lits, source: raw, output: data}\n"
        func load(_ text: String, _ overrides: [String] = []) throws -> Pipeline {
            try Pipeline.parse(text, file: "p.yaml", root: "/ws", overrides: overrides.map { try Override($0) }, fileSystem: specs) { kind, options in
                guard kind == "convert", options["spec"] == nil, case .string(let f)? = options["format"] else { return [] }
                return ["/specs/\(f).yaml"]
            }
        }
        #expect(try load(text).stages[0].deps.map(\.path) == ["raw", "/specs/lits.yaml"])
        #expect(try load(text, ["c.format=kits"]).stages[0].deps.map(\.path) == ["raw", "/specs/kits.yaml"])
        #expect(try load(text, ["c.spec=my.yaml"]).stages[0].deps.map(\.path) == ["raw", "my.yaml"])
    }

    /// Graphviz labels break lines with the two characters `\n`, never a raw newline inside a string.
    @Test func dotLabelsUseEscapedLineBreaks() throws {
        let dot = try load(example).dot
        #expect(dot.contains("\"train\" [label=\"train\\ntrain\"];"), "\(dot)")
        #expect(dot.contains("\"convert\" -> \"train\" [label=\"data/ts\"];"), "\(dot)")
        #expect(!dot.contains("\"train\n"), "\(dot)")
    }

    /// `--set convert.lits.format=kits` reaches stage `convert.lits` (stage names may hold dots).
    @Test func overrideOfAStageWithDotsInItsName() throws {
        let text = "stages:\n  convert.lits:\n    uses: convert\n    with: {format: lits, source: raw, output: data}\n"
        let p = try load(text, overrides: ["convert.lits.format=kits"])
        guard case .builtin(_, let options) = p.stages[0].action else { Issue.record("not built-in"); return }
        #expect(options["format"] == .string("kits"))
        #expect(message(text, overrides: ["convert.lits.x.format=kits"]).contains("built-in options are single names (convert.lits.OPTION=VALUE)"))
    }

    @Test func unknownKeySuggestsTheClosest() {
        let m = message("stages:\n  a:\n    run: echo\n    outz: [x]\n")
        #expect(m.hasPrefix("p.yaml:4:5: unknown key 'outz' in stage 'a' (did you mean 'outs'?)"), "\(m)")
        let top = message("stage:\n  a: {run: echo}\n")
        #expect(top.hasPrefix("p.yaml:1:1: unknown key 'stage'"), "\(top)")
        #expect(top.contains("did you mean 'stages'"))
    }

    @Test func cycleNamesItsStages() {
        let m = message("""
        stages:
          a: {run: x, deps: [c.txt], outs: [a.txt]}
          b: {run: x, deps: [a.txt], outs: [b.txt]}
          c: {run: x, deps: [b.txt], outs: [c.txt]}
        """)
        #expect(m.contains("stages form a cycle: a -> b -> c -> a"), "\(m)")
    }

    @Test func twoProducersOfOneOutput() {
        let m = message("stages:\n  convert: {run: x, outs: [data/ts]}\n  copy: {run: y, outs: [data/ts/]}\n")
        #expect(m == "p.yaml:3:25: output 'data/ts' is written by stages 'convert' and 'copy'; each output needs exactly one producer", "\(m)")
        let nested = message("stages:\n  a: {run: x, outs: [data]}\n  b: {run: y, outs: [data/ts]}\n")
        #expect(nested.contains("'a' and 'b'"), "\(nested)")
    }

    @Test func missingDependency() {
        let m = message("stages:\n  a: {run: x, deps: [nothere.txt, in.txt], outs: [o]}\n")
        #expect(m == "p.yaml:2:22: stage 'a' reads 'nothere.txt', which no stage writes and which does not exist; create it, add a stage whose outs include it, or fix the path", "\(m)")
        // Inside a produced directory is fine; an existing outside file is fine.
        #expect(message("stages:\n  a: {run: x, outs: [d]}\n  b: {run: y, deps: [d/f.txt, /ws/raw/a.txt], outs: [o]}\n") == "<loaded>")
    }

    @Test func outputsStayInTheWorkspace() {
        #expect(message("stages:\n  a: {run: x, outs: [../escape.txt]}\n").contains("writes '../escape.txt', outside the workspace"))
        #expect(message("stages:\n  a: {run: x, outs: [/tmp/x]}\n").contains("outside the workspace"))
        #expect(message("stages:\n  a: {run: x, outs: [.salt/cache]}\n").contains("outside the workspace"))
        #expect(message("stages:\n  a: {run: x, outs: [/ws/sub/../ok.txt]}\n") == "<loaded>")
    }

    @Test func badInterpolation() {
        let unknown = message("params: {spacing: 1}\nstages:\n  a: {run: 'echo ${params.spacng}', outs: [o]}\n")
        #expect(unknown.hasPrefix("p.yaml:3:18: unknown param 'spacng' (did you mean 'spacing'?)"), "\(unknown)")
        #expect(message("stages:\n  a: {run: 'echo ${params.x', outs: [o]}\n").contains("'${' is never closed"))
        #expect(message("stages:\n  a: {run: 'echo ${env.x}', outs: [o]}\n").contains("is not a params reference"))
        let escaped = try? load("stages:\n  a: {run: 'echo $${HOME}', outs: [o]}\n")
        if case .shell(let c)? = escaped?.stages[0].action { #expect(c == "echo ${HOME}") } else { Issue.record("escape failed") }
    }

    /// The mark points at the `$` of the bad reference itself, in quoted and folded scalars too (the
    /// offset inside a value is not the offset on the line there).
    @Test func interpolationErrorsPointAtTheReference() {
        let folded = message("params: {n: 1}\nstages:\n  a:\n    outs: [o]\n    run: >-\n      set -e;\n      echo ${params.n} ${params.nope}\n")
        #expect(folded.hasPrefix("p.yaml:7:24: unknown param 'nope'"), "\(folded)")
        let quoted = message("params: {n: 1}\nstages:\n  a: {outs: [o], run: \"echo ${params.n} ${params.n.x}\"}\n")
        #expect(quoted.hasPrefix("p.yaml:3:41: bad interpolation"), "\(quoted)")
        let twice = message("params: {n: 1}\nstages:\n  a: {outs: [o], run: 'echo ${params.n}${params.nope}${params.nope}'}\n")
        #expect(twice.hasPrefix("p.yaml:3:40: unknown param"), "\(twice)")
    }

    @Test func unquotedInterpolationInFlowMappingIsExplained() {
        let m = message("params: {n: 1}\nstages:\n  a:\n    uses: train\n    with: {data-dir: in.txt, output-dir: o, epochs: ${params.n}}\n")
        #expect(m.contains("quote any value holding ${...}"), "\(m)")
    }

    @Test func unknownKindListsKnownKinds() {
        let m = message("stages:\n  a:\n    uses: trian\n    with: {data-dir: in.txt, output-dir: o}\n")
        #expect(m.hasPrefix("p.yaml:3:11: unknown built-in kind 'trian' (did you mean 'train'?)"), "\(m)")
        #expect(m.contains("convert, tree, train, export, predict, evaluate"))
        let missing = message("stages:\n  a:\n    uses: train\n    with: {data-dir: in.txt}\n")
        #expect(missing.contains("needs 'output-dir'"), "\(missing)")
    }

    @Test func selectionIsTargetsAndTheirUpstream() throws {
        let p = try load(example + "\n  other: {run: echo, outs: [z]}\n")
        #expect(try p.selection(targets: ["train"]) == [0, 1])
        #expect(try p.selection(targets: []) == [0, 1, 2, 3])
        #expect(throws: PipelineError.self) { try p.selection(targets: ["tran"]) }
    }

    @Test func canonicalBytesIgnoreInsertionOrder() {
        var a: [String: Value] = [:]
        var b: [String: Value] = [:]
        for i in 0..<50 { a["k\(i)"] = .int(i) }
        for i in (0..<50).reversed() { b["k\(i)"] = .int(i) }
        #expect(Value.map(a).canonicalBytes == Value.map(b).canonicalBytes)
        #expect(Value.string("5").canonicalBytes != Value.int(5).canonicalBytes)
        #expect(Value.list([.string("ab")]).canonicalBytes != Value.list([.string("a"), .string("b")]).canonicalBytes)
    }

    @Test func needsAddsOrderAndUnknownNeedsFail() throws {
        let p = try load("stages:\n  a: {run: x, outs: [a]}\n  b: {run: y, needs: [a], outs: [b]}\n")
        #expect(p.graph.upstream[1] == [0])
        #expect(message("stages:\n  b: {run: y, needs: [aa], outs: [b]}\n").contains("no stage named 'aa'"))
    }
}
