// The main job end to end, as CI runs it: pipelines/totalseg-demo.yaml with a tiny training budget, through
// the built `salt` binary in a fresh workspace. Fetches TotalSegmentator's source package from PyPI, so it
// needs that registry (as the README's main command does).
import Foundation
import NIfTI
import Testing
import TestSupport

@Suite struct TotalSegDemoTests {
    static var saltBinary: String? { Shared.saltExecutable }

    struct Result { var status: Int32; var output: String }

    static func salt(_ binary: String, _ arguments: [String], in directory: URL) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(20))) func smallBudgetRunCompletesAndRerunIsANoOp() throws {
        guard let salt = Self.saltBinary else {
            Issue.record("the salt executable is not built next to the tests; run 'swift build -c release' first")
            return
        }
        let workspace = try Shared.temporaryDirectory("salt-demo")
        defer { try? FileManager.default.removeItem(at: workspace) }
        let pipeline = workspace.appendingPathComponent("totalseg-demo.yaml")
        try FileManager.default.copyItem(at: Shared.repositoryRoot.appendingPathComponent("pipelines/totalseg-demo.yaml"), to: pipeline)
        let budget = ["--set", "params.epochs=1", "--set", "params.steps-per-epoch=2"]

        let first = try Self.salt(salt, ["run", pipeline.path] + budget, in: workspace)
        print(first.output)
        #expect(first.status == 0, "salt run failed:\n\(first.output.suffix(3000))")
        guard first.status == 0 else { return }

        // Every stage completed and is recorded.
        let stages = ["fetch", "extract", "convert-a", "convert-b", "convert-c", "sinks", "tree", "train", "export", "predict", "evaluate", "report"]
        let status = try Self.salt(salt, ["status", pipeline.path, "--json"] + budget, in: workspace)
        #expect(status.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(status.output.utf8))
        let text = String(describing: json)
        for stage in stages { #expect(text.contains(stage), "salt status lacks stage \(stage)") }

        // The prediction is a label volume on the grid of its input (patient C, as converted) and of the
        // original label map brought to the same orientation.
        let demo = workspace.appendingPathComponent("demo")
        let prediction = try Volume.read(demo.appendingPathComponent("predictions/patientC.nii.gz").path)
        let input = try Volume.read(demo.appendingPathComponent("data/test/patient-c/test/images/patientC.nii.gz").path)
        #expect(prediction.shape == input.shape)
        #expect(prediction.shape.reduce(1, *) == 512 * 512 * 20)
        for r in 0..<4 { for c in 0..<4 { #expect(abs(prediction.affine.m[r][c] - input.affine.m[r][c]) < 1e-5) } }
        let reference = try Volume.read(Shared.path("data/real/totalseg/patientC_seg.nii.gz")).reoriented(to: input.orientation)
        #expect(reference.shape == prediction.shape)
        for r in 0..<4 { for c in 0..<4 { #expect(abs(reference.affine.m[r][c] - prediction.affine.m[r][c]) < 1e-3) } }
        #expect(prediction.voxels.allSatisfy { $0 >= 0 && $0 < 256 && $0 == $0.rounded() })

        // The evaluation exists and scores the liver, which patient C has.
        let metrics = try String(contentsOf: demo.appendingPathComponent("evaluation/metrics.csv"), encoding: .utf8)
        #expect(metrics.contains("body,abdominal_cavity,liver"))
        #expect(FileManager.default.fileExists(atPath: demo.appendingPathComponent("evaluation/report.md").path))

        // Nothing changed: the second run runs nothing.
        let second = try Self.salt(salt, ["run", pipeline.path] + budget, in: workspace)
        #expect(second.status == 0)
        #expect(second.output.contains("12 up to date"), "second run was not a no-op:\n\(second.output)")
        #expect(!second.output.contains("started"))
    }
}
