// `salt run`: take the workspace lock, clean up after a crashed run, then run the selected stages in
// dependency order, up to `jobs` at a time. Each stage is decided when its upstream stages have finished
// (so its key uses the content they actually wrote): up to date, restored from the cache, or run.
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

public struct RunOptions: Sendable {
    public enum Force: Sendable, Equatable {
        case none
        /// Every selected stage.
        case all
        /// Only these stages (the rest run only if they must).
        case stages([String])
    }

    /// Stages to bring up to date, with what they need; empty means all.
    public var targets: [String] = []
    public var force: Force = .none
    /// How many stages may run at once.
    public var jobs = 1
    /// After a failure, go on with the stages that do not depend on it.
    public var keepGoing = false
    /// When another run holds the workspace, wait for it instead of refusing.
    public var wait = false
    /// The salt executable that built-in stages run as (`<executable> <kind> --option value ...`):
    /// `$SALT_EXECUTABLE` when set (a wrapper, a container entry point, a test double), else this one.
    public var executable: String = ProcessInfo.processInfo.environment["SALT_EXECUTABLE"].flatMap { $0.isEmpty ? nil : $0 } ?? Runner.currentExecutable

    public init() {}
}

/// What a run did.
public struct RunSummary: Sendable {
    public var ran: [String] = []
    public var restored: [String] = []
    public var upToDate: [String] = []
    /// Stages that failed, each with the message printed.
    public var failed: [(stage: String, message: String)] = []
    /// Stages not attempted because an upstream stage failed or the run was interrupted.
    public var skipped: [String] = []
    public var interrupted = false
    public var seconds = 0.0

    public var succeeded: Bool { failed.isEmpty && !interrupted && skipped.isEmpty }
    /// The process exit code: 0, 1 when a stage failed, 130 when interrupted.
    public var exitCode: Int32 { interrupted ? 130 : (succeeded ? 0 : 1) }
}

public enum Runner {
    /// The running executable's path (built-in stages run it again as a child).
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Runs the selected stages (see `RunOptions`); stage failures are in the summary, not thrown.
    /// Throws for a locked workspace, unknown target names, or an I/O failure of salt's own state.
    public static func run(_ pipeline: Pipeline, options: RunOptions, console: Console) throws -> RunSummary {
        let start = Date()
        let selection = try pipeline.selection(targets: options.targets)
        let forced = try forcedStages(pipeline, options.force, selection: selection)
        let workspace = Workspace(root: pipeline.root)
        try workspace.prepare()
        let lock = try WorkspaceLock(path: workspace.lockPath, wait: options.wait) { pid in
            console.line("salt: waiting for the salt run\(pid.map { " with PID \($0)" } ?? "") that holds \(workspace.lockPath)...")
        }
        defer { lock.release() }
        try recover(workspace)

        let memo = HashMemo(path: workspace.memoPath)
        let hasher = FileHasher(memo: memo)
        let cache = Cache(workspace: workspace, hasher: hasher)
        let evaluator = Evaluator(pipeline: pipeline, workspace: workspace, hasher: hasher, cache: cache)
        let execution = Execution(pipeline: pipeline, selection: selection, forced: forced, options: options,
                                  workspace: workspace, evaluator: evaluator, cache: cache, console: console)
        var summary = execution.run()
        try memo.save(temporaryDirectory: workspace.temporaryDirectory, compact: true)
        summary.seconds = Date().timeIntervalSince(start)

        var parts: [String] = []
        if !summary.ran.isEmpty { parts.append("\(summary.ran.count) ran") }
        if !summary.restored.isEmpty { parts.append("\(summary.restored.count) restored") }
        if !summary.upToDate.isEmpty { parts.append("\(summary.upToDate.count) up to date") }
        if !summary.failed.isEmpty { parts.append("\(summary.failed.count) failed") }
        if !summary.skipped.isEmpty { parts.append("\(summary.skipped.count) not run") }
        console.line("salt: \(parts.isEmpty ? "nothing to do" : parts.joined(separator: ", ")) in \(formatSeconds(summary.seconds))")
        for f in summary.failed { console.line("salt: error: \(f.message)") }
        if summary.interrupted { console.line("salt: \(RunnerError.interrupted)") }
        return summary
    }

    static func forcedStages(_ pipeline: Pipeline, _ force: RunOptions.Force, selection: [Int]) throws -> Set<Int> {
        switch force {
        case .none: return []
        case .all: return Set(selection)
        case .stages(let names):
            return Set(try names.map { name in
                guard let i = pipeline.index(of: name) else { throw PipelineError.unknownStage(name, mark: nil, known: pipeline.stages.map(\.name)) }
                return i
            })
        }
    }

    /// After a crash (kill -9, power loss) of an earlier run: remove the temporary outputs its running stages
    /// left (listed in `.salt/journal`) and half-written files in `.salt/tmp`. Called with the lock held.
    static func recover(_ workspace: Workspace) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: workspace.journalDirectory) {
            let journal = workspace.journalDirectory + "/" + name
            let text = String(decoding: FileManager.default.contents(atPath: journal) ?? Data(), as: UTF8.self)
            for path in text.split(separator: "\n") where path.contains(".salt-tmp") {
                try FileSystemOps.remove(String(path))
            }
            try FileSystemOps.remove(journal)
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: workspace.temporaryDirectory) {
            try FileSystemOps.remove(workspace.temporaryDirectory + "/" + name)
        }
    }
}

extension HashMemo {
    func save(temporaryDirectory: String, compact: Bool) throws {
        try save(temporaryDirectory: temporaryDirectory, allowCompaction: compact)
    }
}
