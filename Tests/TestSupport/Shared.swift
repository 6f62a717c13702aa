// Finds the project's shared reference material (../shared beside the repository: golden values, real
// scans, SALT's label files) and reads fixtures. Set SALT_SHARED to use another copy.
import Foundation
import SafeTensors

public enum Shared {
    /// The repository root (the folder holding Package.swift).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    /// ../shared beside the repository, or $SALT_SHARED.
    public static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["SALT_SHARED"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// The `salt` executable built beside the tests (`swift test` builds every product), for tests that run
    /// it as a user would; nil when it is not built.
    public static var saltExecutable: String? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("salt").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("salt").path,
            repositoryRoot.appendingPathComponent(".build/release/salt").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A golden JSON file (../shared/golden/NAME) as a Foundation object.
    public static func goldenJSON(_ name: String) throws -> Any {
        let url = root.appendingPathComponent("golden").appendingPathComponent(name)
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    /// A golden safetensors file (../shared/golden/NAME).
    public static func goldenTensors(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: path("golden/" + name))
    }

    /// A fresh empty temporary directory, removed by the caller when done (or left for inspection).
    public static func temporaryDirectory(_ label: String = "salt-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Largest relative difference |a-b| / max(|b|, floor) over two arrays; the figure tests report.
public func maxRelativeDifference(_ a: [Double], _ b: [Double], floor: Double = 1e-6) -> Double {
    precondition(a.count == b.count, "comparing \(a.count) values with \(b.count)")
    var worst = 0.0
    for i in a.indices {
        let d = abs(a[i] - b[i]) / max(abs(b[i]), floor)
        if d > worst || d.isNaN { worst = d.isNaN ? .infinity : d }
    }
    return worst
}

/// Largest difference relative to the largest magnitude of the reference: the usual check for whole
/// tensors where single elements can sit near zero.
public func maxScaledDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "comparing \(a.count) values with \(b.count)")
    let scale = max(b.map { abs($0) }.max() ?? 0, 1e-12)
    var worst = 0.0
    for i in a.indices {
        let d = abs(a[i] - b[i]) / scale
        if d > worst || d.isNaN { worst = d.isNaN ? .infinity : d }
    }
    return worst
}
