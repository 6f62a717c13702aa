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
