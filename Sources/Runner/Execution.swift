// One run's scheduler and stage executor. The main thread hands ready stages to worker threads (at most
// `jobs` at once) and waits; a worker decides its stage, then leaves it, restores it or runs it, and
// reports back. Ctrl-C (SIGINT) or SIGTERM stops the running stages' process groups; nothing unfinished
// is recorded. A stage's record is written only after it exits 0 with every declared output present.
import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

final class Execution: @unchecked Sendable {
    enum Outcome { case upToDate, restored, ran, failed(String) }

    let pipeline: Pipeline
    let selection: [Int]
    let forced: Set<Int>
    let options: RunOptions
    let workspace: Workspace
    let evaluator: Evaluator
    let cache: Cache
    let console: Console

    private let condition = NSCondition()
    private var remaining: [Int: Int] = [:]
    private var ready: [Int] = []
    private var running: [Int: pid_t] = [:]
    private var outcomes: [Int: Outcome] = [:]
    /// Hashes of paths settled in this run (outputs of finished stages), so they are not hashed again.
    private var known: [String: PathHash] = [:]
    private var stopping = false
    private var interrupts = 0
    private let position: [Int: Int]

    init(pipeline: Pipeline, selection: [Int], forced: Set<Int>, options: RunOptions, workspace: Workspace,
         evaluator: Evaluator, cache: Cache, console: Console) {
        self.pipeline = pipeline
        self.selection = selection
        self.forced = forced
        self.options = options
        self.workspace = workspace
        self.evaluator = evaluator
        self.cache = cache
        self.console = console
        var position: [Int: Int] = [:]
        for (k, i) in pipeline.graph.order.enumerated() { position[i] = k }
        self.position = position
    }

    func run() -> RunSummary {
        let selected = Set(selection)
        for i in selection {
            remaining[i] = pipeline.graph.upstream[i].filter { selected.contains($0) }.count
            if remaining[i] == 0 { ready.append(i) }
        }
        let signals = installSignalHandlers()
        defer { removeSignalHandlers(signals) }

        condition.lock()
        while true {
            while !stopping && running.count < max(1, options.jobs) && !ready.isEmpty {
                let i = ready.removeFirst()
                running[i] = 0
                let thread = Thread { [self] in work(i) }
                thread.stackSize = 1 << 20
                thread.start()
            }
            if running.isEmpty && (ready.isEmpty || stopping) { break }
            condition.wait()
        }
        condition.unlock()

        var summary = RunSummary()
        summary.interrupted = interrupts > 0
        for i in selection {
            let name = pipeline.stages[i].name
            switch outcomes[i] {
            case .upToDate?: summary.upToDate.append(name)
            case .restored?: summary.restored.append(name)
            case .ran?: summary.ran.append(name)
            case .failed(let m)?: summary.failed.append((name, m))
            case nil: summary.skipped.append(name)
            }
        }
        return summary
    }

    private func finish(_ i: Int, _ outcome: Outcome, outputs: [String: PathHash]) {
        condition.lock()
        outcomes[i] = outcome
        running[i] = nil
        for (p, h) in outputs { known[p] = h }
        if case .failed = outcome {
            if !options.keepGoing { stopping = true }
        } else {
            for d in pipeline.graph.downstream[i] where remaining[d] != nil {
                remaining[d]! -= 1
                if remaining[d] == 0 {
                    let k = ready.firstIndex { position[$0]! > position[d]! } ?? ready.count
                    ready.insert(d, at: k)
                }
            }
        }
        condition.signal()
        condition.unlock()
    }

    private func work(_ i: Int) {
        let stage = pipeline.stages[i]
        do {
            condition.lock()
            let settled = known
            condition.unlock()
            let ev = try evaluator.evaluate(i, forced: forced.contains(i), known: settled, pending: [:])
            switch ev.status.action {
            case .upToDate:
                finish(i, .upToDate, outputs: ev.outputs ?? [:])
            case .restore:
                let t0 = Date()
                for (path, hash) in ev.outputs! { try cache.restore(hash, to: workspace.absolute(path)) }
                // The time of the run that made these outputs: the run cache's entry for this key (the
                // stage's current record may be another key's).
                let seconds = try RecordStore.read(StageRecord.self, at: workspace.runPath(ev.key!))?.seconds
                    ?? RecordStore.read(StageRecord.self, at: workspace.statePath(stage.name))?.seconds ?? 0
                try record(stage, ev, outputs: ev.outputs!, seconds: seconds)
                console.line("\(stage.name): restored from cache in \(formatSeconds(Date().timeIntervalSince(t0))) (\(ev.status.reasons.map(\.description).joined(separator: "; ")))")
                finish(i, .restored, outputs: ev.outputs!)
            case .run, .waitsOnUpstream:
                if let missing = ev.status.reasons.first(where: { if case .inputMissing = $0 { return true }; return false }),
                   case .inputMissing(let path) = missing {
                    throw RunnerError.missingInput(path, stage: stage.name)
                }
                let outputs = try execute(i, ev)
                finish(i, outputs == nil ? .failed(lastFailure[i] ?? "stage '\(stage.name)' failed") : .ran, outputs: outputs ?? [:])
            }
        } catch {
            let message = "stage '\(stage.name)': \(error)"
            console.line("\(stage.name): FAILED: \(error)")
            finish(i, .failed(message), outputs: [:])
        }
    }

    private var lastFailureStore: [Int: String] = [:]
    private var lastFailure: [Int: String] {
        condition.lock(); defer { condition.unlock() }
        return lastFailureStore
    }

    private func fail(_ i: Int, _ message: String) {
        condition.lock()
        lastFailureStore[i] = message
        condition.unlock()
    }

    /// Writes the stage's record to `state/<stage>.json` and, as a second name of the same file, to the run
    /// cache `runs/<ab>/<key>.json`: one new inode per stage (creating files is what costs most on ext4).
    private func record(_ stage: Stage, _ ev: Evaluation, outputs: [String: PathHash], seconds: Double) throws {
        let rec = StageRecord(key: ev.key!.hex, definitionDigest: ev.definitionDigest.hex,
                              definition: stage.definition.mapValues(\.description),
                              inputs: ev.inputs.mapValues(\.description), outputs: outputs.mapValues(\.description), seconds: seconds)
        let tmp = workspace.temporaryDirectory + "/" + UUID().uuidString
        try AtomicFile.write(try RecordStore.encoder.encode(rec), to: tmp, temporaryDirectory: workspace.temporaryDirectory)
        let run = workspace.runPath(ev.key!)
        try FileSystemOps.makeDirectories((run as NSString).deletingLastPathComponent)
        if link(tmp, run) != 0 {
            guard errno == EEXIST else { throw RunnerError.io(function: "link", path: run, errno: errno) }
            // The key ran before (a forced rerun): the new record replaces the old entry.
            try FileSystemOps.replace(run, with: tmp)
            guard link(run, tmp) == 0 else { throw RunnerError.io(function: "link", path: tmp, errno: errno) }
        }
        guard rename(tmp, workspace.statePath(stage.name)) == 0 else {
            throw RunnerError.io(function: "rename", path: workspace.statePath(stage.name), errno: errno)
        }
    }

    /// Runs the stage's command; returns its output hashes, or nil when it failed (after reporting why).
    private func execute(_ i: Int, _ ev: Evaluation) throws -> [String: PathHash]? {
        let stage = pipeline.stages[i]
        let reasons = ev.status.reasons.map(\.description).joined(separator: "; ")
        console.line("\(stage.name): started (\(reasons))")

        // Shell stages write their outputs in place: clear them first so a stale file cannot pass for a new
        // one. Built-in stages write to temporary paths that are renamed into place after exit 0.
        var temporary: [String: String] = [:]
        let isBuiltin: Bool
        if case .builtin = stage.action { isBuiltin = true } else { isBuiltin = false }
        for out in stage.outs {
            let absolute = workspace.absolute(out.path)
            try FileSystemOps.makeDirectories((absolute as NSString).deletingLastPathComponent)
            if isBuiltin {
                let tmp = (absolute as NSString).deletingLastPathComponent + "/." + (absolute as NSString).lastPathComponent + ".salt-tmp"
                try FileSystemOps.remove(tmp)
                temporary[out.path] = tmp
            } else {
                try FileSystemOps.remove(absolute)
            }
        }
        // The journal lists the temporary paths, for the next run to remove if this one dies (shell stages
        // have none: their half-written outputs are simply unrecorded).
        let journal = workspace.journalPath(stage.name)
        if !temporary.isEmpty {
            try AtomicFile.write(Data(temporary.values.sorted().map { $0 + "\n" }.joined().utf8), to: journal, temporaryDirectory: workspace.temporaryDirectory)
        }
        defer { if !temporary.isEmpty { _ = try? FileSystemOps.remove(journal) } }  // best effort: a leftover is removed by the next run's recovery
        func cleanTemporaries() throws { for t in temporary.values { try FileSystemOps.remove(t) } }

        let argv = stage.commandLine(executable: options.executable) { path in
            temporary[path].map { WorkspacePath.relative($0, to: self.workspace.root) ?? $0 } ?? path
        }
        let logPath = workspace.logPath(stage.name)
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw RunnerError.io(function: "open", path: logPath, errno: errno) }
        defer { close(log) }
        let header = Array("$ \(argv.map(Self.shellQuoted).joined(separator: " "))\n".utf8)
        _ = write(log, header, header.count)

        let t0 = Date()
        condition.lock()
        if stopping && interrupts > 0 {
            condition.unlock()
            try cleanTemporaries()
            fail(i, "stage '\(stage.name)' not started: interrupted")
            return nil
        }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(argv, directory: workspace.root, stage: stage.name)
        } catch {
            condition.unlock()
            try cleanTemporaries()
            throw error
        }
        running[i] = child.pid
        condition.unlock()

        let tail = pump(child.output, log: log, stage: stage.name)
        close(child.output)
        let status = child.wait()
        condition.lock()
        running[i] = 0
        let interrupted = interrupts > 0
        condition.unlock()
        let seconds = Date().timeIntervalSince(t0)
        let logShown = WorkspacePath.relative(logPath, to: FileManager.default.currentDirectoryPath) ?? logPath

        if status != 0 {
            try cleanTemporaries()
            let what = interrupted ? "was interrupted" : (status > 128 ? "was killed by signal \(status - 128)" : "failed with exit status \(status)")
            var text = "\(stage.name): \(what) after \(formatSeconds(seconds)); full output in \(logShown)"
            if !tail.isEmpty && !interrupted { text += "\n" + tail.map { "  \(stage.name) | \($0)" }.joined(separator: "\n") }
            console.line(text)
            fail(i, "stage '\(stage.name)' \(what); see \(logShown)")
            return nil
        }
        for (path, tmp) in temporary where FileSystemOps.exists(tmp) {
            try FileSystemOps.replace(workspace.absolute(path), with: tmp)
        }
        var outputs: [String: PathHash] = [:]
        for out in stage.outs {
            guard let h = try evaluator.hasher.hash(workspace.absolute(out.path)) else {
                let message = "stage '\(stage.name)' exited 0 but did not write its output '\(out.path)'; fix its command or its outputs (declared at \(out.mark))"
                console.line("\(stage.name): FAILED: exited 0 without writing \(out.path)")
                fail(i, message)
                return nil
            }
            outputs[out.path] = h
        }
        for (path, h) in outputs { try cache.store(workspace.absolute(path), hash: h) }
        try record(stage, ev, outputs: outputs, seconds: seconds)
        console.line("\(stage.name): done in \(formatSeconds(seconds))")
        return outputs
    }

    /// Copies the child's output to the log and the console until it closes; returns its last lines.
    private func pump(_ fd: Int32, log: Int32, stage: String) -> [String] {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var partial: [UInt8] = []
        var tail: [String] = []
        func emit(_ bytes: ArraySlice<UInt8>) {
            // A carriage return starts the line over (progress bars): keep what follows the last one.
            let line = bytes.split(separator: UInt8(ascii: "\r"), omittingEmptySubsequences: true).last.map { String(decoding: $0, as: UTF8.self) } ?? ""
            if line.isEmpty { return }
            console.output(stage: stage, line)
            tail.append(line)
            if tail.count > 8 { tail.removeFirst() }
        }
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var off = 0
            while off < n {
                let w = write(log, Array(buffer[off..<n]), n - off)
                if w <= 0 { break }
                off += w
            }
            var start = 0
            for k in 0..<n where buffer[k] == UInt8(ascii: "\n") {
                partial.append(contentsOf: buffer[start..<k])
                emit(partial[...])
                partial.removeAll(keepingCapacity: true)
                start = k + 1
            }
            partial.append(contentsOf: buffer[start..<n])
        }
        if !partial.isEmpty { emit(partial[...]) }
        return tail
    }

    static func shellQuoted(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+@%")
        if !s.isEmpty && s.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    // MARK: - Ctrl-C

    private func installSignalHandlers() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in interrupt() }
            source.resume()
            return source
        }
    }

    private func removeSignalHandlers(_ sources: [DispatchSourceSignal]) {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// First interrupt: SIGINT to every running stage's process group and start nothing new; a second
    /// one: SIGKILL.
    private func interrupt() {
        condition.lock()
        interrupts += 1
        stopping = true
        let signal = interrupts == 1 ? SIGINT : SIGKILL
        if interrupts == 1 { console.line("salt: interrupted; stopping running stages (Ctrl-C again to kill them)") }
        for pid in running.values where pid > 0 { kill(-pid, signal) }
        condition.signal()
        condition.unlock()
    }
}
