// `salt status` and `salt run --dry-run`: each selected stage with what a run would do and why, without
// running, restoring or locking anything. Stages downstream of one that would run are predicted where
// possible (a restore or an up-to-date stage has known outputs) and otherwise wait on it.
import Foundation
import Pipeline

extension Runner {
    public static func status(_ pipeline: Pipeline, targets: [String] = [], force: RunOptions.Force = .none) throws -> [StageStatus] {
        let selection = try pipeline.selection(targets: targets)
        let forced = try forcedStages(pipeline, force, selection: selection)
        let workspace = Workspace(root: pipeline.root)
        let salt = FileSystemOps.exists(workspace.salt)
        let memo = HashMemo(path: salt ? workspace.memoPath : nil)
        let hasher = FileHasher(memo: memo)
        let evaluator = Evaluator(pipeline: pipeline, workspace: workspace, hasher: hasher, cache: Cache(workspace: workspace, hasher: hasher))
        var known: [String: PathHash] = [:]
        var pending: [Int: String] = [:]
        var statuses: [StageStatus] = []
        for i in selection {
            let ev = try evaluator.evaluate(i, forced: forced.contains(i), known: known, pending: pending)
            switch ev.status.action {
            case .upToDate, .restore:
                for (p, h) in ev.outputs ?? [:] { known[p] = h }
            case .run, .waitsOnUpstream:
                pending[i] = pipeline.stages[i].name
            }
            statuses.append(ev.status)
        }
        if salt, FileSystemOps.exists(workspace.temporaryDirectory) {
            try memo.save(temporaryDirectory: workspace.temporaryDirectory, compact: false)
        }
        return statuses
    }

    /// `status --json`: `[{"stage": ..., "action": ..., "reasons": [{"code": ..., "subject": ..., "text": ...}]}]`.
    public static func statusJSON(_ statuses: [StageStatus]) throws -> String {
        let objects: [[String: Any]] = statuses.map { s in
            ["stage": s.stage, "action": s.action.rawValue,
             "reasons": s.reasons.map { r -> [String: Any] in
                 var o: [String: Any] = ["code": r.code, "text": r.description]
                 if let subject = r.subject { o["subject"] = subject }
                 return o
             }]
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
