// `salt bench <suite>`: benchmarks that print figures (never timed tests). Each suite lives in its own
// file (Bench+<Suite>.swift) and registers itself in `BenchCommand.suites`.

struct BenchSuite {
    var name: String
    var summary: String
    var run: (inout Arguments) throws -> Void
}

enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "Run a benchmark suite and print its figures"

    /// Every suite; each Bench+<Suite>.swift file adds its entry here.
    static var suites: [BenchSuite] {
        [
            .segmentation,
            networkSuite,
            convSuite,
            .nifti,
            LabelsBench.suite,
        ]
    }

    static var help: String {
        var s = "Usage: salt bench <suite> [options]\n\nSuites:\n"
        for suite in suites { s += "  \(suite.name)  \(suite.summary)\n" }
        return s
    }

    static func run(_ arguments: inout Arguments) throws -> Int32 {
        // Not positionalsPeek(): it rejects the suite's own options, which are still unread here.
        guard let name = arguments.firstPositionalPeek(), let suite = suites.first(where: { $0.name == name }) else {
            throw UsageError("salt bench: name a suite: \(suites.map(\.name).joined(separator: ", "))")
        }
        arguments.consumeFirstPositional()
        try suite.run(&arguments)
        return 0
    }
}
