// Every way reading YAML can fail, each naming the file, line and column.

public enum YAMLError: Error, CustomStringConvertible, Equatable {
    /// libyaml rejected the text; `function` is the libyaml call that failed.
    case syntax(SourceMark, problem: String, context: String?, function: String)
    /// A mapping has the same key twice.
    case duplicateKey(String, SourceMark, first: SourceMark)
    /// `*name` refers to no `&name` before it.
    case unknownAlias(String, SourceMark)
    /// A mapping key that is not a scalar (`? [a, b]: 1`).
    case complexKey(SourceMark)
    /// libyaml could not be initialised (out of memory).
    case initialisation(function: String)

    public var description: String {
        switch self {
        case .syntax(let mark, let problem, let context, let function):
            let ctx = context.map { " \($0)" } ?? ""
            return "\(mark): YAML syntax error: \(problem)\(ctx) (\(function)); check the indentation and quoting on this line"
        case .duplicateKey(let key, let mark, let first):
            return "\(mark): key '\(key)' appears twice in one mapping (first at line \(first.line)); keep one of them"
        case .unknownAlias(let name, let mark):
            return "\(mark): alias '*\(name)' refers to no anchor; define '&\(name)' before using it"
        case .complexKey(let mark):
            return "\(mark): a mapping key must be a plain value, not a list or mapping"
        case .initialisation(let function):
            return "YAML: \(function) failed (out of memory?)"
        }
    }
}
