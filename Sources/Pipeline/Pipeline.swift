// Pipeline: The pipeline file: its model, loading from YAML, interpolation of params, validation and planning
// (the stage graph, its order, and which stages a run selects). Pure: the file system is behind the
// `FileSystem` protocol so loading and planning are testable without touching disk.
// Imports: YAML, Foundation. Never the compute side, never CXXHash (hashing belongs to Runner).
//
// Entry point: `Pipeline.load(file:overrides:fileSystem:)`; then `pipeline.graph` (edges, order, cycles
// already rejected) and `pipeline.selection(targets:)`.

@_exported import YAML

/// A validated pipeline: every path normalised, every built-in stage's inputs and outputs known, no cycle,
/// no output written twice, no dependency left without a producer or a file.
public struct Pipeline: Sendable {
    /// The pipeline file as given (used in messages).
    public var file: String
    /// The workspace: the absolute directory holding the pipeline file; stage paths are relative to it.
    public var root: String
    /// The params after `--set params.x=...` overrides.
    public var params: [String: Value]
    /// Stages in file order.
    public var stages: [Stage]
    /// Edges between stages; its `order` is a topological order (file order among independent stages).
    public var graph: StageGraph

    /// The index of the stage named `name`.
    public func index(of name: String) -> Int? { stages.firstIndex { $0.name == name } }

    /// Indices of the named stages and everything upstream of them (all stages when `targets` is empty),
    /// in topological order. Throws `PipelineError.unknownStage` (with the closest name) for a typo.
    public func selection(targets: [String]) throws -> [Int] {
        if targets.isEmpty { return graph.order }
        var wanted = Set<Int>()
        for t in targets {
            guard let i = index(of: t) else {
                throw PipelineError.unknownStage(t, mark: nil, known: stages.map(\.name))
            }
            wanted.formUnion(graph.upstreamClosure(of: i))
        }
        return graph.order.filter { wanted.contains($0) }
    }
}

/// A path declared in the file, kept with where it was written.
public struct DeclaredPath: Sendable, Hashable {
    /// Workspace-relative and normalised (`data/ts`), or absolute for an input outside the workspace.
    public var path: String
    public var mark: SourceMark
}

/// One stage: a shell command or a built-in kind, with the paths it reads and writes.
public struct Stage: Sendable {
    public enum Action: Sendable {
        /// `run:` executed by `/bin/sh -c` in the workspace.
        case shell(command: String)
        /// `uses: kind` with its `with:` options (after interpolation and overrides).
        case builtin(kind: BuiltinKind, options: [String: Value])
    }

    public var name: String
    public var action: Action
    /// Everything the stage reads: `deps:` and, for a built-in kind, its input options.
    public var deps: [DeclaredPath]
    /// Everything the stage writes: `outs:` or a built-in kind's output options.
    public var outs: [DeclaredPath]
    /// Stages that must finish first though no data flows (`needs:`).
    public var needs: [String]
    /// Run on every `salt run`, never restored from the cache.
    public var always: Bool
    /// Where the stage is declared (its name in the file).
    public var mark: SourceMark
    /// The `deps:` list alone (a built-in stage's input options excluded), kept to re-derive paths after
    /// an option override.
    var declaredDeps: [DeclaredPath] = []

    /// "shell" or the built-in kind's name.
    public var kindName: String {
        switch action {
        case .shell: return "shell"
        case .builtin(let kind, _): return kind.name
        }
    }

    /// What defines the stage, flat and typed: `kind`, `version`, `run` or `with.<option>`, `deps`, `outs`.
    /// Its canonical bytes go into the stage key; the record keeps it so `status` can name what changed.
    public var definition: [String: Value] {
        var d: [String: Value] = [
            "deps": .list(deps.map { .string($0.path) }.sorted(by: Value.canonicalLess)),
            "outs": .list(outs.map { .string($0.path) }.sorted(by: Value.canonicalLess)),
        ]
        switch action {
        case .shell(let command):
            d["kind"] = .string("shell")
            d["run"] = .string(command)
        case .builtin(let kind, let options):
            d["kind"] = .string(kind.name)
            d["version"] = .int(kind.version)
            for (k, v) in options { d["with." + k] = v }
        }
        return d
    }

    /// The child process's argument vector. A shell stage is `/bin/sh -c <run>`; a built-in stage is
    /// `<executable> <kind> --<option> <value> ...` (options sorted by name, lists joined by commas, `true`
    /// as a bare flag, `false` and null left out, a repeatable option once per item), with each output option's value passed through
    /// `outputPath` so the runner can point it at a temporary path.
    public func commandLine(executable: String, outputPath: (String) -> String = { $0 }) -> [String] {
        switch action {
        case .shell(let command):
            return ["/bin/sh", "-c", command]
        case .builtin(let kind, let options):
            var argv = [executable, kind.name]
            for key in options.keys.sorted() {
                let value = options[key]!
                switch value {
                case .bool(true): argv.append("--" + key)
                case .bool(false), .null: continue
                case .list(let items) where kind.repeatable.contains(key):
                    for item in items { argv += ["--" + key, item.argumentText] }
                default:
                    argv.append("--" + key)
                    if kind.outputs.contains(key), case .string(let path) = value {
                        argv.append(outputPath(WorkspacePath.lexicallyNormalised(path)))
                    } else {
                        argv.append(value.argumentText)
                    }
                }
            }
            return argv
        }
    }
}
