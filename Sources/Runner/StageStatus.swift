// What a run would do with a stage and why: the answer `salt status` and `salt run --dry-run` print, and
// the decision `salt run` acts on.

public struct StageStatus: Sendable, Equatable {
    public enum Action: String, Sendable {
        /// Its record matches: nothing to do.
        case upToDate = "up to date"
        /// The key was seen before: its outputs come back from the cache.
        case restore = "restore"
        /// The command runs.
        case run = "run"
        /// An upstream stage runs first; this one runs only if that changes what it reads.
        case waitsOnUpstream = "after upstream"
    }

    public var stage: String
    public var action: Action
    public var reasons: [Reason]

    /// `train: run (input data/ts changed; option epochs changed (50 -> 5))`
    public var description: String {
        reasons.isEmpty ? "\(stage): \(action.rawValue)" : "\(stage): \(action.rawValue) (\(reasons.map(\.description).joined(separator: "; ")))"
    }
}

/// Why a stage would run or be restored.
public enum Reason: Sendable, Equatable, CustomStringConvertible {
    case neverRun
    /// What changed in its declaration, one phrase each ("command changed", "option epochs removed").
    case definitionChanged([String])
    case inputChanged(String)
    case inputMissing(String)
    case upstreamChanged(stage: String, path: String)
    case upstreamWillRun(String)
    case outputMissing(String)
    case outputModified(String)
    case always
    case forced

    public var description: String {
        switch self {
        case .neverRun: return "never run"
        case .definitionChanged(let changes): return "definition changed: " + changes.joined(separator: ", ")
        case .inputChanged(let p): return "input \(p) changed"
        case .inputMissing(let p): return "input \(p) is missing"
        case .upstreamChanged(let s, let p): return "upstream \(s) changed \(p)"
        case .upstreamWillRun(let s): return "upstream \(s) runs first"
        case .outputMissing(let p): return "output \(p) missing"
        case .outputModified(let p): return "output \(p) modified"
        case .always: return "always: true"
        case .forced: return "forced"
        }
    }

    /// A short machine word for `salt status --json`.
    public var code: String {
        switch self {
        case .neverRun: return "never-run"
        case .definitionChanged: return "definition-changed"
        case .inputChanged: return "input-changed"
        case .inputMissing: return "input-missing"
        case .upstreamChanged: return "upstream-changed"
        case .upstreamWillRun: return "upstream-runs"
        case .outputMissing: return "output-missing"
        case .outputModified: return "output-modified"
        case .always: return "always"
        case .forced: return "forced"
        }
    }

    /// The path or stage a reason is about, for `--json`.
    public var subject: String? {
        switch self {
        case .inputChanged(let p), .inputMissing(let p), .outputMissing(let p), .outputModified(let p): return p
        case .upstreamChanged(let s, _), .upstreamWillRun(let s): return s
        case .definitionChanged(let c): return c.joined(separator: ", ")
        default: return nil
        }
    }
}
