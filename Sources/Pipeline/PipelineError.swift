// Every way a pipeline file can be wrong. Each message says what is wrong, where (`file:line:col`) and
// what to do about it.

import YAML
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case unreadableFile(String)
    case noPipelineFile(directory: String)
    case yaml(YAMLError)
    /// A node of the wrong shape (`stages` is a list, an option is a mapping ...).
    case wrongType(SourceMark, what: String, expected: String, got: String)
    case unknownKey(String, SourceMark, context: String, allowed: [String])
    /// A stage with neither or both of `run:` and `uses:`, or a required option missing.
    case missingKey(String, SourceMark, context: String, hint: String)
    case conflictingKeys(SourceMark, stage: String, message: String)
    case badStageName(String, SourceMark)
    case unknownKind(String, SourceMark, known: [String])
    case unknownStage(String, mark: SourceMark?, known: [String])
    case unknownParam(String, SourceMark, known: [String])
    case badInterpolation(SourceMark, text: String, reason: String)
    case outputOutsideWorkspace(String, SourceMark, stage: String)
    case duplicateOutput(String, SourceMark, stages: [String])
    case missingDependency(String, SourceMark, stage: String)
    case cycle([String], SourceMark)
    case badOverride(String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path):
            return "cannot read '\(path)'; check that it exists and is UTF-8 text"
        case .noPipelineFile(let dir):
            return "no pipeline.yaml or salt.yaml in \(dir); name the pipeline file: salt run path/to/pipeline.yaml"
        case .yaml(let e):
            return e.description
        case .wrongType(let mark, let what, let expected, let got):
            return "\(mark): \(what) must be \(expected), not \(got)"
        case .unknownKey(let key, let mark, let context, let allowed):
            return "\(mark): unknown key '\(key)' in \(context)\(Self.suggestion(key, allowed)); allowed keys: \(allowed.joined(separator: ", "))"
        case .missingKey(let key, let mark, let context, let hint):
            return "\(mark): \(context) needs '\(key)'; \(hint)"
        case .conflictingKeys(let mark, let stage, let message):
            return "\(mark): stage '\(stage)': \(message)"
        case .badStageName(let name, let mark):
            return "\(mark): stage name '\(name)' may hold only letters, digits, '_', '-' and '.', and may not start with '.'; rename it"
        case .unknownKind(let kind, let mark, let known):
            return "\(mark): unknown built-in kind '\(kind)'\(Self.suggestion(kind, known)); known kinds: \(known.joined(separator: ", ")) (or use run: for a shell command)"
        case .unknownStage(let name, let mark, let known):
            let at = mark.map { "\($0): " } ?? ""
            return "\(at)no stage named '\(name)'\(Self.suggestion(name, known)); stages: \(known.joined(separator: ", "))"
        case .unknownParam(let name, let mark, let known):
            let list = known.isEmpty ? "the file declares no params; add a 'params:' mapping" : "params: \(known.joined(separator: ", "))"
            return "\(mark): unknown param '\(name)'\(Self.suggestion(name, known)); \(list)"
        case .badInterpolation(let mark, let text, let reason):
            return "\(mark): bad interpolation in '\(text)': \(reason); write ${params.NAME} (and $${ for a literal ${)"
        case .outputOutsideWorkspace(let path, let mark, let stage):
            return "\(mark): stage '\(stage)' writes '\(path)', outside the workspace; outputs must stay inside the folder holding the pipeline file (and outside .salt)"
        case .duplicateOutput(let path, let mark, let stages):
            return "\(mark): output '\(path)' is written by stages \(stages.map { "'\($0)'" }.joined(separator: " and ")); each output needs exactly one producer"
        case .missingDependency(let path, let mark, let stage):
            return "\(mark): stage '\(stage)' reads '\(path)', which no stage writes and which does not exist; create it, add a stage whose outs include it, or fix the path"
        case .cycle(let names, let mark):
            return "\(mark): stages form a cycle: \(names.joined(separator: " -> ")); remove one of these dependencies"
        case .badOverride(let text, let reason):
            return "--set \(text): \(reason)"
        }
    }

    /// "; did you mean 'spacing'?" when a known name is close (edit distance at most a third of its length).
    static func suggestion(_ word: String, _ candidates: [String]) -> String {
        guard let best = closest(word, candidates) else { return "" }
        return " (did you mean '\(best)'?)"
    }

    public static func closest(_ word: String, _ candidates: [String]) -> String? {
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(word.lowercased(), c.lowercased())
            if d <= max(1, c.count / 3), d < (best?.1 ?? .max) { best = (c, d) }
        }
        return best?.0
    }

    /// Edit distance counting a swap of neighbours as one edit (optimal string alignment), so that
    /// 'trian' is one edit from 'train'.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
