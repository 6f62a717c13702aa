// `salt bench nifti`: .nii.gz read and write speed (MB/s of uncompressed voxel data, median of several
// runs) for a CT, beside the same read with nibabel when python3 can import it.
import Foundation
import NIfTI

extension BenchSuite {
    static let nifti = BenchSuite(
        name: "nifti",
        summary: "NIfTI .nii.gz read/write MB/s, beside nibabel (--file CT.nii.gz --runs 5 --level 1,6)",
        run: { arguments in
            let file = try arguments.option("--file")
            let runs = try arguments.int("--runs", default: 5)
            let levels = try arguments.ints("--level", default: [1, 6])
            try arguments.finish()
            guard runs >= 1 else { throw UsageError("salt bench nifti: --runs must be at least 1") }
            guard levels.allSatisfy({ (1...9).contains($0) }) else { throw UsageError("salt bench nifti: --level takes gzip levels 1...9") }
            let path = try file ?? NIfTIBench.defaultFile()
            try NIfTIBench.run(path: path, runs: runs, levels: levels)
        })
}

enum NIfTIBench {
    /// ../shared/data/real/totalseg/patientB_ct.nii.gz from $SALT_SHARED or beside the current folder.
    static func defaultFile() throws -> String {
        let relative = "data/real/totalseg/patientB_ct.nii.gz"
        var roots: [String] = []
        if let env = ProcessInfo.processInfo.environment["SALT_SHARED"], !env.isEmpty { roots.append(env) }
        roots.append(FileManager.default.currentDirectoryPath + "/../shared")
        for root in roots where FileManager.default.fileExists(atPath: root + "/" + relative) {
            return URL(fileURLWithPath: root + "/" + relative).standardized.path
        }
        throw UsageError("salt bench nifti: no default CT found (looked for \(relative) under \(roots.joined(separator: ", "))); pass --file CT.nii.gz")
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Median wall-clock and CPU seconds of `runs` calls (CPU time shows the work on a busy machine).
    static func time(_ runs: Int, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        var wall: [Double] = [], cpu: [Double] = []
        func cpuNow() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds, startCPU = cpuNow()
            try body()
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpu.append(cpuNow() - startCPU)
        }
        return (median(wall), median(cpu))
    }

    static func run(path: String, runs: Int, levels: [Int]) throws {
        let volume = try Volume.read(path)
        let megabytes = Double(volume.voxels.count * volume.datatype.byteSize) / 1e6
        let onDisk = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0) / 1e6
        print("nifti bench: \(URL(fileURLWithPath: path).lastPathComponent), \(volume.shape.map(String.init).joined(separator: "x")) \(volume.datatype), "
              + String(format: "%.1f MB of voxel data, %.1f MB on disk; median of %d runs; MB/s of voxel data per wall-clock second", megabytes, onDisk, runs))
        func line(_ what: String, _ t: (wall: Double, cpu: Double), _ note: String = "") {
            print("  " + what.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: "%8.1f MB/s  (%.3f s wall, %.3f s CPU)", megabytes / t.wall, t.wall, t.cpu) + note)
        }
        let readSeconds = try time(runs) { _ = try Volume.read(path) }
        line("salt read .nii.gz", readSeconds)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("salt-bench-nifti-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }  // a leftover scratch folder is harmless
        for level in levels {
            let out = dir.appendingPathComponent("level\(level).nii.gz").path
            let seconds = try time(runs) { try volume.write(to: out, datatype: nil, compressionLevel: level) }
            let size = Double((try FileManager.default.attributesOfItem(atPath: out)[.size] as? NSNumber)?.intValue ?? 0) / 1e6
            line("salt write .nii.gz level \(level)", seconds, String(format: "  -> %.1f MB", size))
        }
        let plain = dir.appendingPathComponent("plain.nii").path
        line("salt write .nii", try time(runs) { try volume.write(to: plain) })
        line("salt read .nii", try time(runs) { _ = try Volume.read(plain) })

        // nibabel: the same read (to float32 values, as salt gives), timed inside python.
        let script = """
        import sys, time
        try:
            import nibabel as nib, numpy as np
        except ImportError:
            print("missing"); sys.exit(0)
        def median(xs):
            xs = sorted(xs); n = len(xs)
            return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
        wall, cpu = [], []
        for _ in range(\(runs)):
            t, c = time.perf_counter(), time.process_time()
            nib.load(sys.argv[1]).get_fdata(dtype=np.float32)
            wall.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
        print(median(wall), median(cpu), nib.__version__)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            print("  nibabel read .nii.gz          python3 not found (\(error))")
            return
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let words = output.split(whereSeparator: \.isWhitespace)
        if process.terminationStatus == 0, words.count == 3, let wall = Double(words[0]), let cpu = Double(words[1]) {
            line("nibabel \(words[2]) read .nii.gz", (wall, cpu), "  (get_fdata float32)")
        } else {
            print("  nibabel read .nii.gz          nibabel not installed (pip install nibabel)")
        }
    }
}
