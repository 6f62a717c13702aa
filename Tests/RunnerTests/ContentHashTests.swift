import Foundation
import Testing
import TestSupport
@testable import Runner

@Suite struct ContentHashTests {
    @Test func knownDigests() {
        // XXH3-128 of the empty input (xxHash's reference value).
        #expect(ContentHash.digest([]).hex == "99aa06d3014798d86001c324468d497f")
        #expect(ContentHash.digest(Array("a".utf8)) != ContentHash.digest(Array("b".utf8)))
        #expect(Digest(hex: ContentHash.digest(Array("abc".utf8)).hex) == ContentHash.digest(Array("abc".utf8)))
    }

    /// The parallel chunked file hash against a plain sequential computation of the same tree.
    @Test func largeFileTreeMatchesThePlainReference() throws {
        let dir = try Shared.temporaryDirectory("salt-hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let size = 2 * ContentHash.chunkSize + 12_345
        var bytes = [UInt8](repeating: 0, count: size)
        var state: UInt64 = 42
        for i in bytes.indices { state = state &* 6364136223846793005 &+ 1442695040888963407; bytes[i] = UInt8(truncatingIfNeeded: state >> 33) }
        let path = dir.appendingPathComponent("big.bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        var tree = Array("xxh3-128/16MiB-tree".utf8)
        for start in stride(from: 0, to: size, by: ContentHash.chunkSize) {
            ContentHash.digest(Array(bytes[start..<min(size, start + ContentHash.chunkSize)])).append(to: &tree)
        }
        #expect(try ContentHash.file(at: path) == ContentHash.digest(tree))

        // Small and medium files are plain XXH3-128 of their bytes (read and mmap paths).
        for n in [0, 1, 4096, (1 << 20) + 1, 3 << 20] {
            let p = dir.appendingPathComponent("f\(n)").path
            try Data(bytes[0..<n]).write(to: URL(fileURLWithPath: p))
            #expect(try ContentHash.file(at: p) == ContentHash.digest(Array(bytes[0..<n])), "size \(n)")
        }
    }

    @Test func directoryDigestDependsOnNamesKindsAndContent() throws {
        let dir = try Shared.temporaryDirectory("salt-hashdir")
        defer { try? FileManager.default.removeItem(at: dir) }
        let hasher = FileHasher(memo: HashMemo(path: nil))
        let d = dir.appendingPathComponent("d").path
        try FileManager.default.createDirectory(atPath: d + "/sub", withIntermediateDirectories: true)
        try "1".write(toFile: d + "/a", atomically: false, encoding: .utf8)
        try "2".write(toFile: d + "/sub/b", atomically: false, encoding: .utf8)
        let (first, entries) = try hasher.directory(d)
        #expect(entries.map(\.path) == ["a", "sub", "sub/b"])
        #expect(entries.map(\.kind) == [.file, .directory, .file])
        try FileManager.default.moveItem(atPath: d + "/sub/b", toPath: d + "/sub/c")
        let renamed = try hasher.directory(d).digest
        #expect(renamed != first)
        chmod(d + "/a", 0o755)
        #expect(try hasher.directory(d).digest != renamed, "the executable bit counts")
        try FileManager.default.createDirectory(atPath: d + "/empty", withIntermediateDirectories: false)
        #expect(try hasher.directory(d).entries.contains { $0.path == "empty" && $0.kind == .directory })
    }
}
