// kill -9 of a real `salt run` in the middle of a stage, then a plain rerun. Spawns the built salt binary
// (next to the test bundle: .build/<config>/salt).
import Foundation
import Testing
import TestSupport
@testable import Pipeline
@testable import Runner

@Suite struct CrashRecoveryTests {
    static var saltBinary: String? { Shared.saltExecutable }

    @Test func killNineThenPlainRerunRecovers() throws {
        guard let salt = Self.saltBinary else {
            Issue.record("the salt executable is not built next to the tests; run 'swift build -c release' first")
            return
        }
        let ws = try TestWorkspace("crash")
        let fake = try FakeSalt.install(in: ws)
        try ws.write("in.txt", "payload\n")
        try ws.write("pipeline.yaml", """
        stages:
          conv:
            uses: convert
            with: {source: in.txt, output: out/data.txt}
          use:
            run: cp out/data.txt final.txt
            deps: [out/data.txt]
            outs: [final.txt]
        """)
        try ws.write("slow.flag", "")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: salt)
        process.arguments = ["run", "pipeline.yaml"]
        process.currentDirectoryURL = URL(fileURLWithPath: ws.root)
        var env = ProcessInfo.processInfo.environment
        env["SALT_EXECUTABLE"] = fake
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Wait until the stage is running and has written part of its output (pid.flag holds its PID).
        func stagePID() -> Int32? { ws.read("pid.flag").flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        var waited = 0
        while stagePID() == nil && waited < 2000 { usleep(10_000); waited += 1 }
        let stage = try #require(stagePID(), "the stage never started")
        kill(process.processIdentifier, SIGKILL)
        // The stage's process group outlives salt (as with make or dvc); stop it so it cannot write later.
        // (Foundation's waitUntilExit also waits for it.)
        kill(stage, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(ws.read("out/.data.txt.salt-tmp") == "partial\n", "the stage writes to a temporary path")
        #expect(!ws.exists("out/data.txt"), "a killed stage's output must never reach its real path")
        #expect(ws.exists(".salt/journal/conv"))
        #expect(!ws.exists(".salt/state/conv.json"))

        try FileManager.default.removeItem(atPath: ws.path("slow.flag"))
        let rerun = try ws.run(executable: fake)  // no flag, no manual unlock
        #expect(rerun.ran == ["conv", "use"])
        #expect(!ws.exists("out/.data.txt.salt-tmp"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: ws.path(".salt/journal")).isEmpty)
        #expect(ws.read("final.txt")!.hasSuffix("payload\n"))
        #expect(try ws.run(executable: fake).upToDate == ["conv", "use"])
    }

    @Test func ctrlCStopsTheRunningStageAndRecordsNothing() throws {
        guard let salt = Self.saltBinary else { Issue.record("salt executable not built"); return }
        let ws = try TestWorkspace("sigint")
        try ws.write("pipeline.yaml", """
        stages:
          slow:
            run: echo $$ > pid.flag && echo partial > s.txt && sleep 30 && echo done > s.txt
            outs: [s.txt]
          after: {run: cp s.txt t.txt, deps: [s.txt], outs: [t.txt]}
        """)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: salt)
        process.arguments = ["run"]
        process.currentDirectoryURL = URL(fileURLWithPath: ws.root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        func stagePID() -> Int32? { ws.read("pid.flag").flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        var waited = 0
        while stagePID() == nil && waited < 2000 { usleep(10_000); waited += 1 }
        let stage = try #require(stagePID(), "the stage never started")
        let t0 = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(t0) < 10, "salt must stop its stage rather than wait for it")
        #expect(process.terminationStatus == 130)
        #expect(kill(stage, 0) != 0, "the stage's shell is still running after Ctrl-C")
        #expect(!ws.exists(".salt/state/slow.json"))
        #expect(!ws.exists("t.txt"))
        #expect(ws.read(".salt/lock") == "", "the lock file still names a PID after the run ended")
    }

    @Test func binaryReportsAFailedStageAndItsLog() throws {
        guard let salt = Self.saltBinary else { Issue.record("salt executable not built"); return }
        let ws = try TestWorkspace("cli")
        try ws.write("pipeline.yaml", "stages:\n  boom: {run: 'echo about to fail; exit 4', outs: [x.txt]}\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: salt)
        process.arguments = ["run"]
        process.currentDirectoryURL = URL(fileURLWithPath: ws.root)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(text.contains("boom: failed with exit status 4"), "\(text)")
        #expect(text.contains(".salt/logs/boom.log"))
        #expect(text.contains("boom | about to fail"))
        #expect(ws.read(".salt/logs/boom.log")?.contains("about to fail") == true)
    }
}
