// `salt status [FILE]`: each stage, what a run would do with it, and why.
import Foundation
import Pipeline
import Runner

enum StatusCommand: Command {
    static let name = "status"
    static let summary = "Show which stages would run and why"
    static let help = """
    Usage: salt status [FILE] [STAGE...] [--json] [--set KEY=VALUE]...

    For each stage (or the named ones and what they need): up to date, restore (its key was seen before;
    outputs come back from the cache), run, or after upstream (it reruns only if an upstream stage that runs
    first changes what it reads), with the reasons: never run, definition changed (which field), input X
    changed, upstream Z changed X, output Y missing or modified. Runs nothing and takes no lock.

    Options:
      --json            one JSON array: [{"stage", "action", "reasons": [{"code", "subject", "text"}]}]
      --set KEY=VALUE   as for salt run

    Example:
      salt status pipeline.yaml --json
    """

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        let json = arguments.flag("--json")
        let sets = try arguments.options("--set")
        let target = try PipelineFileArgument(arguments.positionals())
        try arguments.finish()
        let pipeline = try target.load(overrides: sets)
        let statuses = try Runner.status(pipeline, targets: target.stages)
        if json {
            print(try Runner.statusJSON(statuses))
        } else {
            printStatuses(statuses)
        }
        return 0
    }

    static func printStatuses(_ statuses: [StageStatus]) {
        for s in statuses { print(s.description) }
        let work = statuses.filter { $0.action != .upToDate }.count
        print(work == 0 ? "salt: all \(statuses.count) stages up to date" : "salt: \(work) of \(statuses.count) stages would run or be restored")
    }
}
