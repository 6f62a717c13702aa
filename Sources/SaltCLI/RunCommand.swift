// `salt run [FILE] [STAGE...]`: brings the pipeline (or the named stages and what they need) up to date.
import Foundation
import Pipeline
import Runner

enum RunCommand: Command {
    static let name = "run"
    static let summary = "Run what changed in a pipeline; restore the rest from the cache"
    static let help = """
    Usage: salt run [FILE] [STAGE...] [--dry-run] [--force] [-j N] [--keep-going] [--wait] [--set KEY=VALUE]...

    Runs the stages of FILE (default: pipeline.yaml or salt.yaml here) whose inputs, definition or outputs
    changed, in dependency order; a stage whose key was seen before is restored from .salt/cache instead.
    With STAGE names, runs those stages and what they need.

    Options:
      --dry-run            print what would run and why, run nothing (as 'salt status')
      --force              rerun the named STAGEs (all stages when none is named) even if up to date
      -j, --jobs N         run up to N independent stages at once (default 1)
      --keep-going         after a failure, go on with stages that do not depend on it
      --wait               if another salt run holds this workspace, wait for it instead of refusing
      --set KEY=VALUE      override a param (params.spacing=[2,2,2]) or a built-in stage's option
                           (train.epochs=5); VALUE is read as YAML

    Each stage's full output is in .salt/logs/<stage>.log. Exit status: 0, 1 when a stage failed,
    130 when interrupted. Built-in stages run this executable (or $SALT_EXECUTABLE) as a child process.

    Example:
      salt run pipeline.yaml train --set train.epochs=5 -j 2
    """

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        let dryRun = arguments.flag("--dry-run", "-n")
        let force = arguments.flag("--force", "-f")
        let keepGoing = arguments.flag("--keep-going", "-k")
        let wait = arguments.flag("--wait")
        let jobs = try arguments.int("-j", "--jobs", default: 1)
        let sets = try arguments.options("--set")
        let target = try PipelineFileArgument(arguments.positionals())
        try arguments.finish()
        guard jobs >= 1 else { throw UsageError("salt run: -j expects at least 1, got \(jobs)") }

        let pipeline = try target.load(overrides: sets)
        if dryRun {
            let statuses = try Runner.status(pipeline, targets: target.stages, force: force ? forceMode(target.stages) : .none)
            StatusCommand.printStatuses(statuses)
            return 0
        }
        var options = RunOptions()
        options.targets = target.stages
        options.force = force ? forceMode(target.stages) : .none
        options.jobs = jobs
        options.keepGoing = keepGoing
        options.wait = wait
        return try Runner.run(pipeline, options: options, console: .standard()).exitCode
    }

    static func forceMode(_ stages: [String]) -> RunOptions.Force {
        stages.isEmpty ? .all : .stages(stages)
    }
}
