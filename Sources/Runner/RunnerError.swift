// Every way running a pipeline can fail outside a stage's own command; each names the path or stage and
// says what to do.
import Foundation

public enum RunnerError: Error, CustomStringConvertible, Equatable {
    case io(function: String, path: String, errno: Int32)
    /// Another `salt run` holds `.salt/lock`.
    case locked(path: String, pid: Int32?)
    case missingInput(String, stage: String)
    case corruptRecord(String, reason: String)
    case cacheObjectMissing(String, path: String)
    case spawn(stage: String, function: String, errno: Int32)
    case interrupted

    public var description: String {
        switch self {
        case .io(let function, let path, let code):
            return "\(function) failed on '\(path)': \(String(cString: strerror(code))); check the path and its permissions"
        case .locked(let path, let pid):
            let who = pid.map { "another salt run (PID \($0))" } ?? "another salt run"
            return "\(who) is using this workspace (\(path) is locked); wait for it to finish, or pass --wait to queue behind it"
        case .missingInput(let path, let stage):
            return "stage '\(stage)' reads '\(path)', which does not exist; create it or fix the stage's inputs"
        case .corruptRecord(let path, let reason):
            return "record '\(path)' is unreadable (\(reason)); delete it and the stage will run again"
        case .cacheObjectMissing(let digest, let path):
            return "cache object \(digest) for '\(path)' is missing from .salt/cache; the stage will have to run again (salt run --force STAGE)"
        case .spawn(let stage, let function, let code):
            return "cannot start stage '\(stage)': \(function) failed: \(String(cString: strerror(code)))"
        case .interrupted:
            return "interrupted; stages that were running were stopped and not recorded; run again to continue"
        }
    }
}
