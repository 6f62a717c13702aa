// A temporary workspace with a pipeline file, helpers to write and read files, and a run that collects
// what the console printed.
import Foundation
import TestSupport
@testable import Pipeline
@testable import Runner

final class TestWorkspace {
    let root: String
    var output = ""
    private let lock = NSLock()

    init(_ label: String = "runner") throws {
        root = try Shared.temporaryDirectory("salt-\(label)").path
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ rel: String) -> String { root + "/" + rel }

    func write(_ rel: String, _ text: String) throws {
        let p = path(rel)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: p, atomically: false, encoding: .utf8)
    }

    func read(_ rel: String) -> String? {
        FileManager.default.contents(atPath: path(rel)).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: path(rel)) }

    func pipeline(_ overrides: [String] = []) throws -> Pipeline {
        try Pipeline.load(file: path("pipeline.yaml"), overrides: overrides.map { try Override($0) })
    }

    @discardableResult
    func run(_ overrides: [String] = [], targets: [String] = [], force: RunOptions.Force = .none, jobs: Int = 1,
             keepGoing: Bool = false, executable: String? = nil, wait: Bool = false) throws -> RunSummary {
        var options = RunOptions()
        options.targets = targets
        options.force = force
        options.jobs = jobs
        options.keepGoing = keepGoing
        options.wait = wait
        if let executable { options.executable = executable }
        let console = Console(sink: { [self] s in lock.lock(); output += s; lock.unlock() }, isTerminal: false)
        return try Runner.run(try pipeline(overrides), options: options, console: console)
    }

    func status(_ overrides: [String] = []) throws -> [String: StageStatus] {
        var out: [String: StageStatus] = [:]
        for s in try Runner.status(try pipeline(overrides)) { out[s.stage] = s }
        return out
    }

    /// Lines the stage commands appended to runlog.txt (a side channel no runner tracks).
    var runlog: [String] { (read("runlog.txt") ?? "").split(separator: "\n").map(String.init) }

    /// A linear chain s1..sN: s_k = cat(out_{k-1}, in_k) > out_k, each logging its run.
    func writeChain(_ n: Int) throws {
        var yaml = "stages:\n"
        for k in 1...n {
            try write("inputs/in_\(k).txt", "input \(k)\n")
            let deps = k == 1 ? "inputs/in_1.txt" : "work/out_\(k - 1).txt inputs/in_\(k).txt"
            yaml += "  s\(k):\n    run: cat \(deps) > work/out_\(k).txt && echo s\(k) >> runlog.txt\n"
            yaml += "    deps: [\(deps.split(separator: " ").joined(separator: ", "))]\n    outs: [work/out_\(k).txt]\n"
        }
        try write("pipeline.yaml", yaml)
    }

    /// Sets a file's modification time (seconds since 1970), as an editor restoring it would.
    func setModificationTime(_ rel: String, _ seconds: Int, nanoseconds: Int = 0) {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        _ = utimensat(AT_FDCWD, path(rel), &times, 0)
    }

    func modificationTime(_ rel: String) -> (Int, Int) {
        var st = stat()
        _ = stat(path(rel), &st)
        return (Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
    }
}

/// Lets the file hash memo trust files written just now (it ignores files younger than its racy window).
func waitPastRacyWindow() { usleep(useconds_t(FileHasher.racyWindow / 1000 + 20_000)) }
