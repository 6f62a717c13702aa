// Bugs found in review, each with the case that showed it.
import Foundation
import Testing
import TestSupport
@testable import Pipeline
@testable import Runner

@Suite struct ReviewTests {
    /// A script written by a stage comes back from the cache runnable, and an input's execute bit is part
    /// of the key (a directory already counted it; a single file did not).
    @Test func executableBitOfAFileSurvivesARestoreAndCountsInTheKey() throws {
        let ws = try TestWorkspace()
        try ws.write("tool.in", "echo hi\n")
        try ws.write("pipeline.yaml", """
        stages:
          make:
            run: cp tool.in tool.sh && chmod +x tool.sh
            deps: [tool.in]
            outs: [tool.sh]
          use:
            run: ./tool.sh > used.txt
            deps: [tool.sh]
            outs: [used.txt]
        """)
        #expect(try ws.run().ran == ["make", "use"])
        try FileManager.default.removeItem(atPath: ws.path("tool.sh"))
        let repaired = try ws.run()
        #expect(repaired.restored == ["make"])
        #expect(access(ws.path("tool.sh"), X_OK) == 0, "a restored script must keep its execute bit")
        #expect(repaired.upToDate == ["use"])

        chmod(ws.path("tool.in"), 0o755)
        #expect(try ws.status()["make"]?.reasons == [.inputChanged("tool.in")])
    }
}

@Suite struct ReviewLockAndStatusTests {
    /// A released lock is free at once even while a copy of its descriptor lives on (a child another
    /// thread is spawning holds one until its exec): the flakes of parallel test runs, "another salt run is
    /// using this workspace", came from this.
    @Test func releasedLockIsFreeWhileACopyOfItsDescriptorLives() throws {
        let ws = try TestWorkspace()
        let path = ws.path("lock")
        let first = try WorkspaceLock(path: path, wait: false)
        let copy = dup(first.fd)
        defer { close(copy) }
        first.release()
        let second = try WorkspaceLock(path: path, wait: false)
        second.release()
    }

    /// A stage reading a folder two upstream stages write waits on both, and status names both.
    @Test func statusNamesEveryUpstreamStageOfAPath() throws {
        let ws = try TestWorkspace()
        try ws.write("pipeline.yaml", """
        stages:
          a: {run: mkdir -p d && echo a > d/a.txt, outs: [d/a.txt]}
          b: {run: mkdir -p d && echo b > d/b.txt, outs: [d/b.txt]}
          c: {run: cat d/a.txt d/b.txt > c.txt, deps: [d], outs: [c.txt]}
        """)
        #expect(try ws.status()["c"]?.reasons == [.neverRun, .upstreamWillRun("a"), .upstreamWillRun("b")])
    }
}

@Suite struct ReviewParallelTests {
    /// Two stages running at once (-j 2) each get their own whole log, and both records are written.
    @Test func parallelStagesKeepTheirLogsApart() throws {
        let ws = try TestWorkspace()
        try ws.write("pipeline.yaml", """
        stages:
          a: {run: 'for i in $(seq 2000); do echo a$i; done > a.txt; seq 2000 | sed s/^/a/', outs: [a.txt]}
          b: {run: 'for i in $(seq 2000); do echo b$i; done > b.txt; seq 2000 | sed s/^/b/', outs: [b.txt]}
        """)
        let summary = try ws.run(jobs: 2)
        #expect(summary.ran.sorted() == ["a", "b"])
        for s in ["a", "b"] {
            let lines = (ws.read(".salt/logs/\(s).log") ?? "").split(separator: "\n").dropFirst()
            #expect(lines.count == 2000 && lines.allSatisfy { $0.hasPrefix(s) }, "\(s).log: \(lines.count) lines")
        }
        #expect(try ws.run(jobs: 2).upToDate.sorted() == ["a", "b"])
    }
}

@Suite struct ReviewRestoreTests {
    /// A restored stage's record keeps the time of the run that made its outputs, not that of the record
    /// it replaces.
    @Test func restoreKeepsTheTimeOfTheRunItRestores() throws {
        let ws = try TestWorkspace()
        try ws.write("pipeline.yaml", "params: {t: 0.4}\nstages:\n  a: {run: 'sleep ${params.t}; echo ${params.t} > o.txt', outs: [o.txt]}\n")
        func seconds() throws -> Double {
            try JSONDecoder().decode(StageRecord.self, from: Data(contentsOf: URL(fileURLWithPath: ws.path(".salt/state/a.json")))).seconds
        }
        try ws.run()
        #expect(try seconds() >= 0.4)
        try ws.run(["params.t=0"])
        #expect(try seconds() < 0.3)
        #expect(try ws.run().restored == ["a"])
        #expect(try seconds() >= 0.4, "the restored record took the time of the t=0 run")
    }
}
