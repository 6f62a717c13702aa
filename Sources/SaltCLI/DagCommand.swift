// `salt dag [FILE]`: the stage graph as text, or as Graphviz dot.
import Foundation
import Pipeline

enum DagCommand: Command {
    static let name = "dag"
    static let summary = "Print the stage graph (text or Graphviz dot)"
    static let help = """
    Usage: salt dag [FILE] [--dot]

    One line per stage in run order with the stages it reads from and through which paths; with --dot,
    a Graphviz graph (dashed edges: needs: without data).

    Example:
      salt dag pipeline.yaml --dot | dot -Tsvg > dag.svg
    """

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        let dot = arguments.flag("--dot")
        let sets = try arguments.options("--set")
        let target = try PipelineFileArgument(arguments.positionals())
        try arguments.finish()
        guard target.stages.isEmpty else { throw UsageError("salt dag: unexpected argument '\(target.stages[0])'") }
        let pipeline = try target.load(overrides: sets)
        print(dot ? pipeline.dot : pipeline.dagText, terminator: dot ? "" : "\n")
        return 0
    }
}
