// `salt bench runner`: the pipeline runner on the workload of ../shared/bench/runner (gen.py): N stages in a
// chain, stage k = `cat out_{k-1} in_k > out_k && echo sk >> runlog.txt`. Each scenario is a fresh
// `salt run` child process (end to end, start-up included, as the peers were measured): full, noop, dry
// (status), touch (mtime of the middle input bumped), mid (its content changed), revert, noop2. Then the
// hashing throughput of a 1 GiB file, warm (page cache), and the memo's answer for it (a stat).
import Foundation
import Runner
#if canImport(Glibc)
import Glibc
#endif

extension BenchCommand {
    static var runnerSuite: BenchSuite {
        BenchSuite(name: "runner", summary: "pipeline runner: N-stage chain (first, no-op, change, revert) and hashing GB/s") { args in
            let sizes = try args.ints("--stages", default: [20, 100])
            let reps = try args.int("--reps", default: 3)
            let hashMiB = try args.int("--hash-mib", default: 1024)
            let work = try args.option("--workdir") ?? NSTemporaryDirectory() + "salt-bench-runner"
            try args.finish()
            try RunnerBench(work: work, executable: Runner.currentExecutable).run(sizes: sizes, reps: reps, hashMiB: hashMiB)
        }
    }
}

struct RunnerBench {
    let work: String
    let executable: String
    static let scenarios = ["full", "noop", "dry", "touch", "mid", "revert", "noop2"]

    func run(sizes: [Int], reps: Int, hashMiB: Int) throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        print("salt bench runner: \(executable), \(ProcessInfo.processInfo.activeProcessorCount) cores, medians of \(reps) fresh workspaces")
        print("start-up alone (salt --version): \(format(try startup(reps: max(reps, 5))))")
        print("| stages | " + Self.scenarios.joined(separator: " | ") + " |")
        print("|---|" + String(repeating: "---|", count: Self.scenarios.count))
        for n in sizes {
            var cells: [String: [(wall: Double, cpu: Double, executed: Int)]] = [:]
            for rep in 0..<reps {
                let dir = work + "/chain-\(n)-\(rep)"
                for (scenario, m) in try chain(n, in: dir) { cells[scenario, default: []].append(m) }
                try FileManager.default.removeItem(atPath: dir)
            }
            let row = Self.scenarios.map { s -> String in
                let ms = cells[s]!
                let wall = median(ms.map(\.wall)), cpu = median(ms.map(\.cpu))
                let executed = Set(ms.map(\.executed)).sorted().map(String.init).joined(separator: "/")
                return String(format: "%.3f s (cpu %.3f, %@ run)", wall, cpu, executed)
            }
            print("| \(n) | " + row.joined(separator: " | ") + " |")
        }
        print("cell: median wall seconds of the whole `salt run`/`salt status` process (user+sys cpu in brackets), stages executed")
        if hashMiB > 0 { try hashing(mib: hashMiB, reps: max(reps, 3)) }
    }

    private func format(_ t: (wall: Double, cpu: Double)) -> String { String(format: "%.3f s wall, %.3f s cpu", t.wall, t.cpu) }

    /// The chain of gen.py, written as salt's pipeline.yaml.
    private func write(_ n: Int, in dir: String) throws -> (mid: String, original: String) {
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir + "/inputs", withIntermediateDirectories: true)
        let w = n >= 10 ? String(n).count : 2
        func idx(_ i: Int) -> String { String(repeating: "0", count: max(0, w - String(i).count)) + String(i) }
        var yaml = "stages:\n"
        for i in 1...n {
            try "input \(idx(i)): original content\n".write(toFile: dir + "/inputs/in_\(idx(i)).txt", atomically: false, encoding: .utf8)
            var deps = ["inputs/in_\(idx(i)).txt"]
            if i > 1 { deps.insert("work/out_\(idx(i - 1)).txt", at: 0) }
            yaml += "  s\(idx(i)):\n    run: cat \(deps.joined(separator: " ")) > work/out_\(idx(i)).txt && echo s\(idx(i)) >> runlog.txt\n"
            yaml += "    deps: [\(deps.joined(separator: ", "))]\n    outs: [work/out_\(idx(i)).txt]\n"
        }
        try yaml.write(toFile: dir + "/pipeline.yaml", atomically: false, encoding: .utf8)
        let mid = "inputs/in_\(idx(n / 2)).txt"
        return (mid, "input \(idx(n / 2)): original content\n")
    }

    private func chain(_ n: Int, in dir: String) throws -> [(String, (wall: Double, cpu: Double, executed: Int))] {
        let (mid, original) = try write(n, in: dir)
        var out: [(String, (Double, Double, Int))] = []
        func measure(_ scenario: String, _ arguments: [String]) throws {
            let before = runlogCount(dir)
            let (wall, cpu, status) = try spawnTimed(arguments, directory: dir)
            guard status == 0 else { throw UsageError("salt bench runner: \(scenario) exited \(status) in \(dir)") }
            out.append((scenario, (wall, cpu, runlogCount(dir) - before)))
        }
        try measure("full", ["run", "pipeline.yaml"])
        try measure("noop", ["run", "pipeline.yaml"])
        try measure("dry", ["status", "pipeline.yaml"])
        usleep(50_000)
        utimensat(AT_FDCWD, dir + "/" + mid, nil, 0)  // touch: both times to now
        try measure("touch", ["run", "pipeline.yaml"])
        usleep(50_000)
        try (original + "changed \(Date().timeIntervalSince1970)\n").write(toFile: dir + "/" + mid, atomically: false, encoding: .utf8)
        try measure("mid", ["run", "pipeline.yaml"])
        usleep(50_000)
        try original.write(toFile: dir + "/" + mid, atomically: false, encoding: .utf8)
        try measure("revert", ["run", "pipeline.yaml"])
        try measure("noop2", ["run", "pipeline.yaml"])
        // The final output must be every input in order, as bench.sh checks.
        let w = n >= 10 ? String(n).count : 2
        let last = try String(contentsOfFile: dir + "/work/out_\(String(repeating: "0", count: max(0, w - String(n).count)) + String(n)).txt", encoding: .utf8)
        let inputs = try FileManager.default.contentsOfDirectory(atPath: dir + "/inputs").sorted()
            .map { try String(contentsOfFile: dir + "/inputs/" + $0, encoding: .utf8) }.joined()
        guard last == inputs else { throw UsageError("salt bench runner: final output of \(n) stages does not match the inputs") }
        return out
    }

    private func runlogCount(_ dir: String) -> Int {
        (FileManager.default.contents(atPath: dir + "/runlog.txt") ?? Data()).reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
    }

    /// Runs this executable with `arguments`; wall seconds, the child's user+sys seconds, exit status.
    private func spawnTimed(_ arguments: [String], directory: String) throws -> (Double, Double, Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        var before = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)
        let t0 = Date()
        try process.run()
        process.waitUntilExit()
        let wall = Date().timeIntervalSince(t0)
        var after = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &after)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        let cpu = seconds(after.ru_utime) - seconds(before.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_stime)
        return (wall, cpu, process.terminationStatus)
    }

    private func startup(reps: Int) throws -> (wall: Double, cpu: Double) {
        var walls: [Double] = [], cpus: [Double] = []
        for _ in 0..<reps {
            let (w, c, _) = try spawnTimed(["--version"], directory: work)
            walls.append(w)
            cpus.append(c)
        }
        return (median(walls), median(cpus))
    }

    private func hashing(mib: Int, reps: Int) throws {
        let path = work + "/big-\(mib).bin"
        let size = mib << 20
        var st = stat()
        if stat(path, &st) != 0 || Int(st.st_size) != size {
            // Seeded xorshift bytes: incompressible, the same on every run.
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw RunnerError.io(function: "open", path: path, errno: errno) }
            var state: UInt64 = 0x9E3779B97F4A7C15
            var block = [UInt64](repeating: 0, count: 1 << 17)
            for _ in 0..<(size / (block.count * 8)) {
                for k in block.indices { state ^= state << 13; state ^= state >> 7; state ^= state << 17; block[k] = state }
                _ = block.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            }
            close(fd)
        }
        _ = try ContentHash.file(at: path)  // warm the page cache
        var times: [Double] = []
        var cpus: [Double] = []
        var digest = ""
        for _ in 0..<reps {
            let c0 = cpuSeconds()
            let t0 = Date()
            digest = try ContentHash.file(at: path).hex
            times.append(Date().timeIntervalSince(t0))
            cpus.append(cpuSeconds() - c0)
        }
        let t = median(times), c = median(cpus)
        let single = try singleThread(path: path, size: size)
        print(String(format: "hashing %d MiB warm: %.3f s = %.2f GB/s wall (XXH3-128, 16 MiB chunks on %d threads, mmap), %.2f GB per cpu-second; one thread in memory: %.2f GB/s; digest %@",
                     mib, t, Double(size) / t / 1e9, ProcessInfo.processInfo.activeProcessorCount, Double(size) / c / 1e9, Double(size) / single / 1e9, digest))
        var loads = [0.0, 0.0, 0.0]
        if getloadavg(&loads, 3) > 0 { print(String(format: "load average during the run: %.1f (the machine's other work shares its cores)", loads[0])) }
    }

    /// The same bytes hashed in one pass by one thread (the plain reference's speed).
    private func singleThread(path: String, size: Int) throws -> Double {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        guard let base = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw RunnerError.io(function: "mmap", path: path, errno: errno)
        }
        defer { munmap(base, size) }
        let t0 = Date()
        _ = ContentHash.digest(UnsafeRawPointer(base), count: size)
        return Date().timeIntervalSince(t0)
    }

    /// This process's user + system seconds so far.
    private func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }

    private func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}
