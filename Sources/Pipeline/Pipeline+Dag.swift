// The stage graph as text (`salt dag`) and as Graphviz dot (`salt dag --dot`).
import Foundation
import YAML

extension Pipeline {
    /// One line per stage in run order: `train (train) <- convert [data/ts]`.
    public var dagText: String {
        var lines: [String] = []
        for i in graph.order {
            let s = stages[i]
            var line = "\(s.name) (\(s.kindName))"
            let from = graph.upstream[i].map { j -> String in
                let paths = s.deps.indices.filter { graph.producers[i][$0].contains(j) }.map { s.deps[$0].path }
                return paths.isEmpty ? stages[j].name : "\(stages[j].name) [\(paths.joined(separator: ", "))]"
            }
            if !from.isEmpty { line += " <- " + from.joined(separator: ", ") }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// A `digraph` with one node per stage and an edge per dependency, labelled with the paths it carries.
    public var dot: String {
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        func label(_ lines: [String]) -> String { "\"" + lines.map { q($0).dropFirst().dropLast() }.joined(separator: "\\n") + "\"" }
        var out = "digraph pipeline {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
        for i in graph.order {
            // `\n` (backslash, n) is dot's line break in a label; a raw newline is not portable.
            out += "  \(q(stages[i].name)) [label=\(label([stages[i].name, stages[i].kindName]))];\n"
        }
        for i in graph.order {
            let s = stages[i]
            for j in graph.upstream[i] {
                let paths = s.deps.indices.filter { graph.producers[i][$0].contains(j) }.map { s.deps[$0].path }
                let attributes = paths.isEmpty ? " [style=dashed]" : " [label=\(label(paths))]"
                out += "  \(q(stages[j].name)) -> \(q(s.name))\(attributes);\n"
            }
        }
        return out + "}\n"
    }
}
