// `salt gc`: keep what the current records of the pipeline's stages use; drop other run-cache entries,
// the cache objects nothing kept refers to, and the records of stages no longer in the file.
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

public struct GCSummary: Sendable, Equatable {
    public var objectsRemoved = 0
    public var bytesRemoved: Int64 = 0
    public var runsRemoved = 0
    public var recordsRemoved = 0
    public var objectsKept = 0
}

extension Runner {
    public static func gc(_ pipeline: Pipeline, wait: Bool = false) throws -> GCSummary {
        let workspace = Workspace(root: pipeline.root)
        try workspace.prepare()
        let lock = try WorkspaceLock(path: workspace.lockPath, wait: wait)
        defer { lock.release() }
        let cache = Cache(workspace: workspace, hasher: FileHasher(memo: HashMemo(path: nil)))
        var summary = GCSummary()
        let names = Set(pipeline.stages.map(\.name))
        var keys = Set<String>()
        var objects = Set<String>()  // object file names (hex, or hex.dir)

        let fm = FileManager.default
        for file in try fm.contentsOfDirectory(atPath: workspace.stateDirectory) where file.hasSuffix(".json") {
            let name = String(file.dropLast(5))
            let path = workspace.stateDirectory + "/" + file
            guard names.contains(name) else {
                try FileSystemOps.remove(path)
                summary.recordsRemoved += 1
                continue
            }
            guard let record = try RecordStore.read(StageRecord.self, at: path) else { continue }
            keys.insert(record.key)
            for text in record.outputs.values {
                guard let h = PathHash(text) else { continue }
                switch h.kind {
                case .file, .executable: objects.insert(h.digest.hex)
                case .directory:
                    objects.insert(h.digest.hex + ".dir")
                    for e in try cache.manifest(h.digest) { if let d = e.digest { objects.insert(d.hex) } }
                }
            }
        }
        for shard in try fm.contentsOfDirectory(atPath: workspace.runsDirectory) {
            let dir = workspace.runsDirectory + "/" + shard
            for file in try fm.contentsOfDirectory(atPath: dir) where !keys.contains(String(file.dropLast(5))) {
                try FileSystemOps.remove(dir + "/" + file)
                summary.runsRemoved += 1
            }
        }
        for shard in try fm.contentsOfDirectory(atPath: workspace.cacheDirectory) {
            let dir = workspace.cacheDirectory + "/" + shard
            for file in try fm.contentsOfDirectory(atPath: dir) {
                if objects.contains(file) { summary.objectsKept += 1; continue }
                var st = stat()
                if lstat(dir + "/" + file, &st) == 0 { summary.bytesRemoved += Int64(st.st_size) }
                try FileSystemOps.remove(dir + "/" + file)
                summary.objectsRemoved += 1
            }
        }
        return summary
    }
}
