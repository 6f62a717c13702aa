// `salt gc [FILE]`: drop cache entries the current stage records do not use.
import Foundation
import Pipeline
import Runner

enum GcCommand: Command {
    static let name = "gc"
    static let summary = "Remove cache entries nothing in the current pipeline uses"
    static let help = """
    Usage: salt gc [FILE] [--wait]

    Keeps the outputs recorded for the stages of FILE as they are now; removes other run-cache entries
    (reverting to an older parameter will then run again instead of restoring), the cache objects nothing
    kept refers to, and records of stages no longer in FILE.

    Options:
      --wait   if a salt run holds this workspace, wait for it instead of refusing

    Example:
      salt gc pipeline.yaml
    """

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        let wait = arguments.flag("--wait")
        let target = try PipelineFileArgument(arguments.positionals())
        try arguments.finish()
        guard target.stages.isEmpty else { throw UsageError("salt gc: unexpected argument '\(target.stages[0])'") }
        let s = try Runner.gc(try target.load(overrides: []), wait: wait)
        let mib = Double(s.bytesRemoved) / 1_048_576
        print("salt gc: removed \(s.objectsRemoved) cache objects (\(String(format: "%.1f", mib)) MiB), \(s.runsRemoved) run entries, \(s.recordsRemoved) stale records; kept \(s.objectsKept) objects")
        return 0
    }
}
