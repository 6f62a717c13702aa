// Deciding a stage: its key from canonical bytes, its record, and what differs. The key is XXH3-128 of a
// version tag, the canonical bytes of the stage's definition (kind, version, command or options, paths) and
// the canonical bytes of its inputs' content hashes. Upstream stages enter through the content of the
// outputs they wrote, so an upstream that reruns and writes the same bytes changes no downstream key.
import Foundation
import Pipeline

struct Evaluation {
    var status: StageStatus
    /// nil when an input is not known yet (an upstream runs first).
    var key: Digest?
    var definitionDigest: Digest
    var inputs: [String: PathHash]
    /// Where restored outputs come from (`.restore`), or the outputs as they are (`.upToDate`).
    var outputs: [String: PathHash]?
}

struct Evaluator {
    let pipeline: Pipeline
    let workspace: Workspace
    let hasher: FileHasher
    let cache: Cache

    static let keyTag = Array("salt-stage-key-v1\0".utf8)

    /// Decides stage `index`. `known` holds hashes of paths already settled in this run (or predicted, for
    /// a status report); `pending` names the upstream stage still to run for each path it will write.
    func evaluate(_ index: Int, forced: Bool, known: [String: PathHash], pending: [Int: String]) throws -> Evaluation {
        let stage = pipeline.stages[index]
        let definition = stage.definition
        let definitionBytes = Value.map(definition).canonicalBytes
        let definitionDigest = ContentHash.digest(definitionBytes)
        let record = try RecordStore.read(StageRecord.self, at: workspace.statePath(stage.name))

        // Inputs: content hashes, or the upstream stage that must run before they are known.
        var inputs: [String: PathHash] = [:]
        var waitingOn: [String] = []
        var missing: [String] = []
        for (j, dep) in stage.deps.enumerated() {
            let producers = pipeline.graph.producers[index][j]
            let runningFirst = producers.filter { pending[$0] != nil }
            if !runningFirst.isEmpty {
                for p in runningFirst where !waitingOn.contains(pipeline.stages[p].name) { waitingOn.append(pipeline.stages[p].name) }
                continue
            }
            if let h = known[dep.path] {
                inputs[dep.path] = h
            } else if let h = try hasher.hash(workspace.absolute(dep.path)) {
                inputs[dep.path] = h
            } else {
                missing.append(dep.path)
            }
        }

        var reasons: [Reason] = []
        if forced { reasons.append(.forced) }
        if stage.always { reasons.append(.always) }
        reasons += missing.map { Reason.inputMissing($0) }
        if !waitingOn.isEmpty || !missing.isEmpty {
            var r = reasons
            if record == nil { r.insert(.neverRun, at: 0) }
            if let record, record.definitionDigest != definitionDigest.hex {
                r.append(.definitionChanged(Self.changes(from: record.definition, to: definition)))
            }
            r += waitingOn.map { Reason.upstreamWillRun($0) }
            let action: StageStatus.Action = record == nil || record?.definitionDigest != definitionDigest.hex || forced || stage.always || !missing.isEmpty ? .run : .waitsOnUpstream
            return Evaluation(status: StageStatus(stage: stage.name, action: action, reasons: r), key: nil,
                              definitionDigest: definitionDigest, inputs: inputs, outputs: nil)
        }

        var bytes = Self.keyTag + definitionBytes
        Value.map(inputs.mapValues { .string($0.description) }).encodeCanonical(into: &bytes)
        let key = ContentHash.digest(bytes)
        func result(_ action: StageStatus.Action, _ reasons: [Reason], restoreFrom: [String: PathHash]? = nil) -> Evaluation {
            Evaluation(status: StageStatus(stage: stage.name, action: action, reasons: reasons), key: key,
                       definitionDigest: definitionDigest, inputs: inputs, outputs: restoreFrom)
        }
        if forced || stage.always { return result(.run, reasons) }

        if let record, record.key == key.hex {
            // Same key: the outputs must still be what it wrote.
            var damaged: [Reason] = []
            for out in stage.outs {
                let current = try hasher.hash(workspace.absolute(out.path))
                if current == nil { damaged.append(.outputMissing(out.path)) }
                else if current!.description != record.outputs[out.path] { damaged.append(.outputModified(out.path)) }
            }
            if damaged.isEmpty { return result(.upToDate, [], restoreFrom: Self.parse(record.outputs)) }
            if let outputs = Self.parse(record.outputs), outputs.values.allSatisfy(cache.has) {
                return result(.restore, damaged, restoreFrom: outputs)
            }
            return result(.run, damaged)
        }

        if let record {
            if record.definitionDigest != definitionDigest.hex {
                reasons.append(.definitionChanged(Self.changes(from: record.definition, to: definition)))
            }
            for dep in stage.deps {
                guard let now = inputs[dep.path], record.inputs[dep.path] != now.description else { continue }
                if record.inputs[dep.path] == nil { continue }  // a new input: counted as a definition change
                let j = stage.deps.firstIndex(of: dep)!
                if let p = pipeline.graph.producers[index][j].first {
                    reasons.append(.upstreamChanged(stage: pipeline.stages[p].name, path: dep.path))
                } else {
                    reasons.append(.inputChanged(dep.path))
                }
            }
            if reasons.isEmpty { reasons.append(.definitionChanged(["key scheme changed"])) }
        } else {
            reasons.append(.neverRun)
        }
        if let entry = try RecordStore.read(StageRecord.self, at: workspace.runPath(key)),
           let outputs = Self.parse(entry.outputs), Set(outputs.keys) == Set(stage.outs.map(\.path)),
           outputs.values.allSatisfy(cache.has) {
            return result(.restore, reasons, restoreFrom: outputs)
        }
        return result(.run, reasons)
    }

    static func parse(_ texts: [String: String]) -> [String: PathHash]? {
        var out: [String: PathHash] = [:]
        for (k, v) in texts {
            guard let h = PathHash(v) else { return nil }
            out[k] = h
        }
        return out
    }

    /// Phrases naming what differs between a recorded definition and the current one.
    static func changes(from old: [String: String], to new: [String: Value]) -> [String] {
        var out: [String] = []
        let current = new.mapValues(\.description)
        for field in Set(old.keys).union(current.keys).sorted() {
            let a = old[field], b = current[field]
            if a == b { continue }
            let name = field.hasPrefix("with.") ? "option " + field.dropFirst(5) : field
            switch (a, b) {
            case (nil, let b?): out.append("\(name) added (\(b))")
            case (let a?, nil): out.append("\(name) removed (was \(a))")
            case (let a?, let b?):
                if field == "run" { out.append("command changed") }
                else if a.count + b.count < 60 { out.append("\(name) changed (\(a) -> \(b))") }
                else { out.append("\(name) changed") }
            default: break
            }
        }
        return out
    }
}
