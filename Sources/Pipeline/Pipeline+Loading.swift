// Loading: YAML nodes -> a validated `Pipeline`. Order: params, then `--set params.*` overrides, then stages
// (interpolated), then `--set <stage>.<option>` overrides, then paths, then the graph checks.
import YAML
import Foundation

/// One `--set key=value` from the command line: `params.spacing=[2,2,2]` or `train.epochs=5`. The value is
/// read as YAML (so `5` is an integer and `"5"` a string).
public struct Override: Sendable, Equatable {
    public var path: [String]
    public var value: Value
    public var text: String

    public init(_ text: String) throws {
        guard let eq = text.firstIndex(of: "=") else {
            throw PipelineError.badOverride(text, reason: "expected KEY=VALUE, as in params.spacing=[2,2,2] or train.epochs=5")
        }
        let key = String(text[..<eq])
        let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard path.count >= 2, path.allSatisfy({ !$0.isEmpty }) else {
            throw PipelineError.badOverride(text, reason: "the key must be params.NAME or STAGE.OPTION")
        }
        let node: YAMLNode?
        do {
            node = try YAML.parse(String(text[text.index(after: eq)...]), file: "--set \(key)")
        } catch let e as YAMLError {
            throw PipelineError.badOverride(text, reason: "the value is not valid YAML: \(e)")
        }
        self.path = path
        self.value = node.map(Value.init) ?? .null
        self.text = text
    }
}

extension Pipeline {
    /// Files a built-in kind reads that none of its options names: `(kind name, options) -> paths`.
    public typealias ImplicitInputs = @Sendable (_ kind: String, _ options: [String: Value]) -> [String]

    /// The pipeline file to use when none is named: pipeline.yaml, else salt.yaml, in `directory`.
    public static func defaultFile(in directory: String, fileSystem: any FileSystem = LocalFileSystem()) throws -> String {
        for name in ["pipeline.yaml", "salt.yaml", "pipeline.yml", "salt.yml"] {
            let p = directory + "/" + name
            if fileSystem.exists(p) { return p }
        }
        throw PipelineError.noPipelineFile(directory: directory)
    }

    /// Reads, interpolates and validates the pipeline file at `file` (relative to the current directory).
    /// `implicitInputs` names files a built-in kind reads that no option names (convert's `format: lits`
    /// reads a spec file found beside the salt executable): they become inputs of the stage, hashed into its
    /// key like any other. It gets the kind's name and the stage's options; paths are absolute or relative
    /// to the workspace.
    public static func load(file: String, overrides: [Override] = [], fileSystem: any FileSystem = LocalFileSystem(),
                            implicitInputs: @escaping ImplicitInputs = { _, _ in [] }) throws -> Pipeline {
        let absolute = WorkspacePath.lexicallyNormalised(file.hasPrefix("/") ? file : fileSystem.currentDirectory + "/" + file)
        let text = try fileSystem.readText(absolute)
        var root = (absolute as NSString).deletingLastPathComponent
        if root.isEmpty { root = "/" }
        return try parse(text, file: file, root: root, overrides: overrides, fileSystem: fileSystem, implicitInputs: implicitInputs)
    }

    /// Parses pipeline text whose workspace is `root` (absolute).
    public static func parse(_ text: String, file: String, root: String, overrides: [Override] = [], fileSystem: any FileSystem,
                             implicitInputs: @escaping ImplicitInputs = { _, _ in [] }) throws -> Pipeline {
        let document: YAMLNode?
        do {
            document = try YAML.parse(text, file: file)
        } catch let e as YAMLError {
            // A plain `${params.x}` inside `{ }` or `[ ]` ends at its own `}`: say so rather than leave the
            // user with libyaml's "did not find expected ','".
            if case .syntax(let mark, _, _, _) = e {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                let nearby = lines[max(0, mark.line - 2)..<min(lines.count, mark.line)]
                if let line = nearby.last(where: { $0.contains("${") }) {
                    throw PipelineError.badInterpolation(mark, text: line.trimmingCharacters(in: .whitespaces),
                        reason: "inside { } or [ ] a plain value ends at '}', so quote any value holding ${...} there (\"${params.x}\")")
                }
            }
            throw PipelineError.yaml(e)
        }
        guard let document else {
            throw PipelineError.missingKey("stages", SourceMark(file: file, line: 1, column: 1), context: "the pipeline file", hint: "add a 'stages:' mapping of stage names to stages")
        }
        var loader = Loader(file: file, root: root, fileSystem: fileSystem, source: SourceText(text), implicitInputs: implicitInputs)
        return try loader.load(document, overrides: overrides)
    }
}

private struct Loader {
    let file: String
    let root: String
    let fileSystem: any FileSystem
    let source: SourceText
    let implicitInputs: Pipeline.ImplicitInputs

    static let topKeys = ["params", "stages"]
    static let stageKeys = ["run", "uses", "with", "deps", "outs", "needs", "always", "desc"]

    init(file: String, root: String, fileSystem: any FileSystem, source: SourceText, implicitInputs: @escaping Pipeline.ImplicitInputs) {
        self.implicitInputs = implicitInputs
        self.file = file
        self.root = root
        self.fileSystem = fileSystem
        self.source = source
    }

    func mapping(_ node: YAMLNode, _ what: String) throws -> [(key: YAMLNode, value: YAMLNode)] {
        guard let m = node.mapping else { throw PipelineError.wrongType(node.mark, what: what, expected: "a mapping", got: node.kindDescription) }
        return m
    }

    func strings(_ node: YAMLNode, _ what: String) throws -> [YAMLNode] {
        if node.text != nil { return [node] }  // `deps: a.txt` means one path
        guard let items = node.sequence else { throw PipelineError.wrongType(node.mark, what: what, expected: "a list of strings", got: node.kindDescription) }
        for item in items where item.text == nil {
            throw PipelineError.wrongType(item.mark, what: "each item of \(what)", expected: "a string", got: item.kindDescription)
        }
        return items
    }

    mutating func load(_ document: YAMLNode, overrides: [Override]) throws -> Pipeline {
        let top = try mapping(document, "the pipeline file")
        for (k, _) in top where !Self.topKeys.contains(k.text!) {
            throw PipelineError.unknownKey(k.text!, k.mark, context: "the pipeline file", allowed: Self.topKeys)
        }
        // Params and their overrides.
        var params: [String: Value] = [:]
        if let p = document["params"], p.mapping != nil || p.scalarValue != .null {
            guard case .map(let m) = Value(p) else { throw PipelineError.wrongType(p.mark, what: "params", expected: "a mapping", got: p.kindDescription) }
            params = m
        }
        for o in overrides where o.path[0] == "params" {
            try Self.apply(o, to: &params)
        }
        // Stages.
        guard let stagesNode = document["stages"] else {
            throw PipelineError.missingKey("stages", document.mark, context: "the pipeline file", hint: "add a 'stages:' mapping of stage names to stages")
        }
        var stages: [Stage] = []
        for (nameNode, body) in try mapping(stagesNode, "stages") {
            stages.append(try stage(nameNode, body, params: params))
        }
        // Stage option overrides.
        for o in overrides where o.path[0] != "params" {
            // Stage names may hold dots (`convert.lits`): the option is the last part, the stage the rest.
            // The longest leading parts that name a stage.
            let split = (1..<o.path.count).reversed().first { k in stages.contains { $0.name == o.path[..<k].joined(separator: ".") } }
            let stageName = o.path[..<(split ?? 1)].joined(separator: ".")
            let option = o.path[(split ?? 1)...].joined(separator: ".")
            guard let split, let i = stages.firstIndex(where: { $0.name == stageName }) else {
                throw PipelineError.badOverride(o.text, reason: "no stage or params named '\(o.path[0])'\(PipelineError.suggestion(o.path[0], ["params"] + stages.map(\.name)))")
            }
            let name = stages[i].name
            guard case .builtin(let kind, var options) = stages[i].action else {
                throw PipelineError.badOverride(o.text, reason: "stage '\(name)' is a shell stage; it has no options to set; put the value in params and use ${params.NAME} in its run:")
            }
            guard split == o.path.count - 1 else {
                throw PipelineError.badOverride(o.text, reason: "built-in options are single names (\(name).OPTION=VALUE)")
            }
            guard kind.options.contains(option) else {
                throw PipelineError.badOverride(o.text, reason: "'\(kind.name)' has no option '\(option)'\(PipelineError.suggestion(option, kind.options)); its options: \(kind.options.joined(separator: ", "))")
            }
            options[option] = o.value
            stages[i] = try builtin(name: name, kind: kind, options: options, optionMarks: [:], extraDeps: stages[i].declaredDeps, base: stages[i])
        }
        let graph = try StageGraph.build(stages: stages, root: root, fileSystem: fileSystem)
        return Pipeline(file: file, root: root, params: params, stages: stages, graph: graph)
    }

    static func apply(_ o: Override, to params: inout [String: Value]) throws {
        let names = Array(o.path.dropFirst())
        guard params[names[0]] != nil else {
            throw PipelineError.badOverride(o.text, reason: "no param '\(names[0])'\(PipelineError.suggestion(names[0], params.keys.sorted())); declare it under params: first")
        }
        func set(_ dict: inout [String: Value], _ rest: ArraySlice<String>) throws {
            let k = rest.first!
            if rest.count == 1 { dict[k] = o.value; return }
            guard case .map(var inner)? = dict[k] else {
                throw PipelineError.badOverride(o.text, reason: "'\(k)' is not a mapping of params")
            }
            try set(&inner, rest.dropFirst())
            dict[k] = .map(inner)
        }
        try set(&params, names[...])
    }

    func stage(_ nameNode: YAMLNode, _ body: YAMLNode, params: [String: Value]) throws -> Stage {
        let name = nameNode.text!
        let allowedChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
        guard !name.isEmpty, !name.hasPrefix("."), name.allSatisfy({ allowedChars.contains($0) }) else {
            throw PipelineError.badStageName(name, nameNode.mark)
        }
        let pairs = try mapping(body, "stage '\(name)'")
        for (k, _) in pairs where !Self.stageKeys.contains(k.text!) {
            throw PipelineError.unknownKey(k.text!, k.mark, context: "stage '\(name)'", allowed: Self.stageKeys)
        }
        var needs: [String] = []
        if let n = body["needs"] { needs = try strings(n, "needs").map { $0.text! } }
        var always = false
        if let a = body["always"] {
            guard case .bool(let b)? = a.scalarValue else { throw PipelineError.wrongType(a.mark, what: "always", expected: "true or false", got: a.kindDescription) }
            always = b
        }
        let deps = try paths(body["deps"], "deps", params: params, stage: name)
        let base = Stage(name: name, action: .shell(command: ""), deps: [], outs: [], needs: needs, always: always, mark: nameNode.mark)

        switch (body["run"], body["uses"]) {
        case (nil, nil):
            throw PipelineError.missingKey("run", body.mark, context: "stage '\(name)'", hint: "give it a shell command (run: ...) or a built-in kind (uses: \(BuiltinKind.all.map(\.name).joined(separator: "|")))")
        case (.some, .some):
            throw PipelineError.conflictingKeys(body.mark, stage: name, message: "has both run: and uses:; a stage is either a shell command or a built-in kind")
        case (let run?, nil):
            if let w = body["with"] {
                throw PipelineError.conflictingKeys(w.mark, stage: name, message: "with: gives options to a built-in kind (uses:); for a shell stage put values into run: with ${params.NAME}")
            }
            guard run.text != nil, case .string(let command) = try Interpolation.resolve(run, params: params, source: source) else {
                throw PipelineError.wrongType(run.mark, what: "run", expected: "a string (one shell command)", got: run.kindDescription)
            }
            let outs = try paths(body["outs"], "outs", params: params, stage: name)
            var s = base
            s.action = .shell(command: command)
            s.deps = deps
            s.outs = outs
            return s
        case (nil, let uses?):
            guard let kindName = uses.text else { throw PipelineError.wrongType(uses.mark, what: "uses", expected: "a built-in kind name", got: uses.kindDescription) }
            guard let kind = BuiltinKind.named(kindName) else {
                throw PipelineError.unknownKind(kindName, uses.mark, known: BuiltinKind.all.map(\.name))
            }
            if let o = body["outs"] {
                throw PipelineError.conflictingKeys(o.mark, stage: name, message: "a built-in stage's outputs come from its options (\(kind.outputs.joined(separator: ", "))); remove outs:")
            }
            var options: [String: Value] = [:]
            var marks: [String: SourceMark] = [:]
            if let w = body["with"] {
                for (k, v) in try mapping(w, "with") {
                    guard kind.options.contains(k.text!) else {
                        throw PipelineError.unknownKey(k.text!, k.mark, context: "the options of '\(kind.name)' (stage '\(name)')", allowed: kind.options)
                    }
                    let value = try Interpolation.resolve(v, params: params, source: source)
                    if case .map = value {
                        throw PipelineError.wrongType(v.mark, what: "option '\(k.text!)'", expected: "a value or a list", got: "a mapping")
                    }
                    options[k.text!] = value
                    marks[k.text!] = v.mark
                }
            }
            return try builtin(name: name, kind: kind, options: options, optionMarks: marks, extraDeps: deps, base: base, withMark: body["with"]?.mark ?? body.mark)
        }
    }

    /// A built-in stage with its inputs and outputs taken from its options.
    func builtin(name: String, kind: BuiltinKind, options: [String: Value], optionMarks: [String: SourceMark], extraDeps: [DeclaredPath], base: Stage, withMark: SourceMark? = nil) throws -> Stage {
        let fallback = withMark ?? base.mark
        var deps = extraDeps
        var outs: [DeclaredPath] = []
        for key in kind.inputs + kind.outputs {
            let isOutput = kind.outputs.contains(key)
            guard let value = options[key], value != .null else {
                if isOutput ? !kind.optionalOutputs.contains(key) : !kind.optionalInputs.contains(key) {
                    throw PipelineError.missingKey(key, fallback, context: "stage '\(name)' (uses: \(kind.name))", hint: "add '\(key): PATH' under with:")
                }
                continue
            }
            let mark = optionMarks[key] ?? fallback
            let many = kind.repeatable.contains(key)
            guard let ps = value.paths, many || ps.count == 1 else {
                throw PipelineError.wrongType(mark, what: "option '\(key)' of stage '\(name)'", expected: many ? "a path or a list of paths" : "one path", got: value.description)
            }
            for p in ps {
                let d = try declared(p, mark: mark, stage: name, output: isOutput)
                if isOutput { outs.append(d) } else { deps.append(d) }
            }
        }
        if !kind.inputs.isEmpty && kind.inputs.allSatisfy(kind.optionalInputs.contains) && !kind.inputs.contains(where: { options[$0] != nil && options[$0] != .null }) {
            throw PipelineError.missingKey(kind.inputs[0], fallback, context: "stage '\(name)' (uses: \(kind.name))", hint: "add '\(kind.inputs.joined(separator: ": PATH' or '")): PATH' under with:")
        }
        for p in implicitInputs(kind.name, options) {
            let d = try declared(p, mark: fallback, stage: name, output: false)
            if !deps.contains(where: { $0.path == d.path }) { deps.append(d) }
        }
        var s = base
        s.action = .builtin(kind: kind, options: options)
        s.deps = deps
        s.outs = outs
        s.declaredDeps = extraDeps
        return s
    }

    func paths(_ node: YAMLNode?, _ what: String, params: [String: Value], stage: String) throws -> [DeclaredPath] {
        guard let node else { return [] }
        return try strings(node, what).map { item in
            guard case .string(let p) = try Interpolation.resolve(item, params: params, source: source) else {
                throw PipelineError.wrongType(item.mark, what: "each item of \(what)", expected: "a path", got: "a list")
            }
            return try declared(p, mark: item.mark, stage: stage, output: what == "outs")
        }
    }

    /// A path normalised against the workspace; outputs must stay inside it (and outside `.salt`).
    func declared(_ path: String, mark: SourceMark, stage: String, output: Bool) throws -> DeclaredPath {
        guard !path.isEmpty else { throw PipelineError.wrongType(mark, what: "a path", expected: "non-empty", got: "an empty string") }
        if let rel = WorkspacePath.relative(path, to: root) {
            if output && (rel == "." || rel == ".salt" || rel.hasPrefix(".salt/")) {
                throw PipelineError.outputOutsideWorkspace(path, mark, stage: stage)
            }
            return DeclaredPath(path: rel, mark: mark)
        }
        if output { throw PipelineError.outputOutsideWorkspace(path, mark, stage: stage) }
        return DeclaredPath(path: WorkspacePath.lexicallyNormalised(path.hasPrefix("/") ? path : root + "/" + path), mark: mark)
    }
}
