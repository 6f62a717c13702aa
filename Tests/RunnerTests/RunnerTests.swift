import Foundation
import Testing
import TestSupport
@testable import Pipeline
@testable import Runner

@Suite struct RunnerTests {
    @Test func changeInTheMiddleRerunsDownstreamAndRevertRestores() throws {
        let ws = try TestWorkspace()
        try ws.writeChain(5)
        let first = try ws.run()
        #expect(first.ran == ["s1", "s2", "s3", "s4", "s5"])
        #expect(ws.read("work/out_5.txt") == (1...5).map { "input \($0)\n" }.joined())

        let noop = try ws.run()
        #expect(noop.ran.isEmpty && noop.restored.isEmpty)
        #expect(noop.upToDate.count == 5)

        try ws.write("inputs/in_3.txt", "input 3 changed\n")
        let status = try ws.status()
        #expect(status["s2"]?.action == .upToDate)
        #expect(status["s3"]?.action == .run)
        #expect(status["s3"]?.reasons == [.inputChanged("inputs/in_3.txt")])
        #expect(status["s4"]?.reasons == [.upstreamWillRun("s3")])
        let mid = try ws.run()
        #expect(mid.ran == ["s3", "s4", "s5"])
        #expect(ws.read("work/out_5.txt")!.contains("input 3 changed"))

        try ws.write("inputs/in_3.txt", "input 3\n")
        let predicted = try ws.status()
        #expect(predicted["s3"]?.action == .restore)
        #expect(predicted["s5"]?.action == .restore, "restores are predicted down the chain: \(predicted["s5"]!)")
        let before = ws.runlog.count
        let revert = try ws.run()
        #expect(revert.ran.isEmpty)
        #expect(revert.restored == ["s3", "s4", "s5"])
        #expect(ws.runlog.count == before, "no stage command may run on a revert")
        #expect(ws.read("work/out_5.txt") == (1...5).map { "input \($0)\n" }.joined())
        #expect(try ws.run().upToDate.count == 5)
    }

    @Test func identicalOutputStopsTheCascade() throws {
        let ws = try TestWorkspace()
        try ws.writeChain(4)
        try ws.run()
        let yaml = ws.read("pipeline.yaml")!.replacingOccurrences(of: "run: cat inputs/in_1.txt > work/out_1.txt",
                                                                    with: "run: cat  inputs/in_1.txt  > work/out_1.txt  # same output")
        try ws.write("pipeline.yaml", yaml)
        let status = try ws.status()
        #expect(status["s1"]?.reasons == [.definitionChanged(["command changed"])])
        let summary = try ws.run()
        #expect(summary.ran == ["s1"])
        #expect(summary.upToDate == ["s2", "s3", "s4"])
    }

    @Test func removingAParameterReruns() throws {
        let ws = try TestWorkspace()
        let fake = try FakeSalt.install(in: ws)
        try ws.write("in.txt", "data\n")
        let yaml = """
        params:
          level: 3
        stages:
          conv:
            uses: convert
            with: {source: in.txt, output: out.txt, split: "${params.level}", format: hello}
          shout:
            run: echo ${params.level} > level.txt
            outs: [level.txt]
        """
        try ws.write("pipeline.yaml", yaml)
        #expect(try ws.run(executable: fake).ran == ["conv", "shout"], "\(ws.output)")
        #expect(ws.read("out.txt") == "convert --format hello --output .out.txt.salt-tmp --source in.txt --split 3\ndata\n")
        #expect(try ws.run(executable: fake).ran.isEmpty)

        try ws.write("pipeline.yaml", yaml.replacingOccurrences(of: ", format: hello", with: ""))
        let status = try ws.status()
        #expect(status["conv"]?.reasons == [.definitionChanged(["option format removed (was \"hello\")"])])
        #expect(try ws.run(executable: fake).ran == ["conv"])

        // An override of a param changes the key; reverting it restores without running.
        #expect(try ws.run(["params.level=4"], executable: fake).ran == ["conv", "shout"])
        #expect(ws.read("level.txt") == "4\n")
        let back = try ws.run(executable: fake)
        #expect(back.ran.isEmpty)
        #expect(back.restored == ["conv", "shout"])
        #expect(ws.read("level.txt") == "3\n")
        // A stage option override.
        #expect(try ws.run(["conv.split=9"], executable: fake).ran == ["conv"])
        #expect(ws.read("out.txt")!.contains(" --split 9\n"))
    }

    @Test func failedStageIsNotRecorded() throws {
        let ws = try TestWorkspace()
        try ws.write("in.txt", "x\n")
        try ws.write("pipeline.yaml", """
        stages:
          a:
            run: cp in.txt a.txt && echo a >> runlog.txt && test -f ok.flag
            deps: [in.txt]
            outs: [a.txt]
          b:
            run: cp a.txt b.txt
            deps: [a.txt]
            outs: [b.txt]
        """)
        let failed = try ws.run()
        #expect(failed.failed.map(\.stage) == ["a"])
        #expect(failed.failed[0].message.contains(".salt/logs/a.log"))
        #expect(failed.skipped == ["b"])
        #expect(failed.exitCode == 1)
        #expect(ws.exists("a.txt"), "the command wrote its output before failing")
        #expect(!ws.exists(".salt/state/a.json"))
        #expect(!ws.exists("b.txt"))
        #expect(try ws.status()["a"]?.reasons == [.neverRun])

        try ws.write("ok.flag", "")
        let again = try ws.run()
        #expect(again.ran == ["a", "b"])
        #expect(ws.runlog == ["a", "a"])
        #expect(ws.read("b.txt") == "x\n")
    }

    @Test func secondRunRefusesThenWaits() throws {
        let ws = try TestWorkspace()
        try ws.writeChain(2)
        try ws.run()
        let holder = try WorkspaceLock(path: ws.path(".salt/lock"), wait: false)
        do {
            try ws.run()
            Issue.record("a second run must not start while the lock is held")
        } catch let e as RunnerError {
            #expect(e == .locked(path: ws.path(".salt/lock"), pid: getpid()))
            #expect(e.description.contains("PID \(getpid())"))
            #expect(e.description.contains("--wait"))
        }
        // With wait: it blocks until the holder lets go, then finds everything up to date.
        final class Box: @unchecked Sendable { var summary: RunSummary?; var error: Error? }
        let done = NSCondition()
        let box = Box()
        let thread = Thread {
            do { let s = try ws.run(wait: true); done.lock(); box.summary = s } catch { done.lock(); box.error = error }
            done.signal(); done.unlock()
        }
        thread.start()
        usleep(100_000)
        done.lock()
        #expect(box.summary == nil && box.error == nil, "the waiting run finished while the lock was still held")
        done.unlock()
        holder.release()
        done.lock()
        while box.summary == nil && box.error == nil { if !done.wait(until: Date().addingTimeInterval(10)) { break } }
        done.unlock()
        #expect(box.error == nil)
        #expect(box.summary?.upToDate == ["s1", "s2"])
        #expect(ws.output.contains("waiting for the salt run"))
    }

    @Test func editInsideADirectoryOutputIsRepaired() throws {
        let ws = try TestWorkspace()
        try ws.write("in.txt", "seed\n")
        try ws.write("pipeline.yaml", """
        stages:
          make:
            run: mkdir -p d/sub && cp in.txt d/a.txt && echo two > d/sub/b.txt && ln -s a.txt d/link && echo make >> runlog.txt
            deps: [in.txt]
            outs: [d]
          use:
            run: cat d/a.txt d/sub/b.txt > use.txt
            deps: [d]
            outs: [use.txt]
        """)
        #expect(try ws.run().ran == ["make", "use"])
        try ws.write("d/sub/b.txt", "TWO\n")  // same size
        let status = try ws.status()
        #expect(status["make"]?.action == .restore)
        #expect(status["make"]?.reasons == [.outputModified("d")])
        let repaired = try ws.run()
        #expect(repaired.restored == ["make"])
        #expect(repaired.upToDate == ["use"])
        #expect(ws.read("d/sub/b.txt") == "two\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: ws.path("d/link")) == "a.txt")
        #expect(ws.runlog == ["make"])
        try FileManager.default.removeItem(atPath: ws.path("d/a.txt"))
        #expect(try ws.run().restored == ["make"])
        #expect(ws.read("d/a.txt") == "seed\n")
    }

    @Test func sameSizeEditWithMtimePutBackIsNoticed() throws {
        let ws = try TestWorkspace()
        try ws.write("in.txt", "aaaa\n")
        try ws.write("pipeline.yaml", "stages:\n  a: {run: cp in.txt out.txt, deps: [in.txt], outs: [out.txt]}\n")
        waitPastRacyWindow()
        try ws.run()
        waitPastRacyWindow()
        #expect(try ws.run().upToDate == ["a"])  // the memo now holds in.txt
        let (sec, nsec) = ws.modificationTime("in.txt")
        try ws.write("in.txt", "bbbb\n")
        ws.setModificationTime("in.txt", sec, nanoseconds: nsec)
        #expect(ws.modificationTime("in.txt") == (sec, nsec))
        waitPastRacyWindow()
        #expect(try ws.status()["a"]?.reasons == [.inputChanged("in.txt")])
        #expect(try ws.run().ran == ["a"])
        #expect(ws.read("out.txt") == "bbbb\n")
    }

    @Test func alwaysStagesRunEveryTimeButStopTheCascadeWhenUnchanged() throws {
        let ws = try TestWorkspace()
        try ws.write("pipeline.yaml", """
        stages:
          fetch: {run: echo same > f.txt, outs: [f.txt], always: true}
          use: {run: cp f.txt u.txt, deps: [f.txt], outs: [u.txt]}
        """)
        #expect(try ws.run().ran == ["fetch", "use"])
        let second = try ws.run()
        #expect(second.ran == ["fetch"])
        #expect(second.upToDate == ["use"])
    }

    @Test func parallelDiamondAndTargets() throws {
        let ws = try TestWorkspace()
        try ws.write("in.txt", "x\n")
        try ws.write("pipeline.yaml", """
        stages:
          top: {run: cp in.txt t.txt, deps: [in.txt], outs: [t.txt]}
          left: {run: 'cat t.txt > l.txt; echo L >> l.txt', deps: [t.txt], outs: [l.txt]}
          right: {run: 'cat t.txt > r.txt; echo R >> r.txt', deps: [t.txt], outs: [r.txt]}
          join: {run: cat l.txt r.txt > j.txt, deps: [l.txt, r.txt], outs: [j.txt]}
          other: {run: echo o > o.txt, outs: [o.txt]}
        """)
        let some = try ws.run(targets: ["left"])
        #expect(some.ran == ["top", "left"])
        let all = try ws.run(jobs: 2)
        #expect(Set(all.ran) == ["right", "join", "other"])
        #expect(ws.read("j.txt") == "x\nL\nx\nR\n")
        let forced = try ws.run(force: .stages(["left"]))
        #expect(forced.ran == ["left"])
        #expect(forced.upToDate.count == 4)
    }

    @Test func keepGoingRunsIndependentStages() throws {
        let ws = try TestWorkspace()
        try ws.write("pipeline.yaml", """
        stages:
          bad: {run: exit 3, outs: [b.txt]}
          after: {run: cp b.txt c.txt, deps: [b.txt], outs: [c.txt]}
          good: {run: echo g > g.txt, outs: [g.txt]}
        """)
        let stop = try ws.run()
        #expect(stop.failed.map(\.stage) == ["bad"])
        #expect(stop.skipped == ["after", "good"])
        let going = try ws.run(keepGoing: true)
        #expect(going.ran == ["good"])
        #expect(going.skipped == ["after"])
        #expect(ws.output.contains("bad: failed with exit status 3"))
    }

    @Test func missingOutputFailsTheStage() throws {
        let ws = try TestWorkspace()
        try ws.write("pipeline.yaml", "stages:\n  a: {run: 'true', outs: [never.txt]}\n")
        let s = try ws.run()
        #expect(s.failed.first?.message.contains("did not write its output 'never.txt'") == true)
        #expect(!ws.exists(".salt/state/a.json"))
    }

    @Test func gcDropsWhatNothingUses() throws {
        let ws = try TestWorkspace()
        try ws.writeChain(2)
        try ws.run()
        try ws.write("inputs/in_2.txt", "other\n")
        try ws.run()
        let summary = try Runner.gc(try ws.pipeline())
        #expect(summary.runsRemoved == 1)
        #expect(summary.objectsRemoved == 1)
        #expect(summary.objectsKept == 2)
        #expect(try ws.run().upToDate == ["s1", "s2"])
    }

    @Test func statusJSON() throws {
        let ws = try TestWorkspace()
        try ws.writeChain(2)
        let json = try Runner.statusJSON(try Runner.status(try ws.pipeline()))
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        #expect(parsed.count == 2)
        #expect(parsed[0]["action"] as? String == "run")
        #expect(((parsed[0]["reasons"] as! [[String: Any]])[0]["code"]) as? String == "never-run")
        #expect(((parsed[1]["reasons"] as! [[String: Any]]).map { $0["code"] as! String }) == ["never-run", "upstream-runs"])
    }
}

/// A stand-in for the salt executable: a shell script that writes its arguments and its `--source` file's
/// content to its `--output` path, and sleeps while `slow.flag` exists (after writing part of it).
enum FakeSalt {
    static func install(in ws: TestWorkspace) throws -> String {
        let path = ws.path("fake-salt.sh")
        try """
        #!/bin/sh
        args="$*"
        kind=$1; shift
        while [ $# -gt 0 ]; do
          case $1 in
            --output) out=$2; shift 2;;
            --source) src=$2; shift 2;;
            *) shift;;
          esac
        done
        if [ -f slow.flag ]; then
          echo partial > "$out"
          echo $$ > pid.flag
          exec sleep 30
        fi
        { echo "$args"; cat "$src"; } > "$out"
        """.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }
}
