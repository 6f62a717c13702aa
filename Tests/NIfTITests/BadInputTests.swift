// Broken inputs, made in a temporary directory: each must give a clear NIfTIError naming the file and
// the problem, never a crash, a partial read, or a partial output file.
import Foundation
import Testing
import TestSupport
@testable import NIfTI

struct BadInputTests {
    /// A written volume whose gzip stream is hard to compress (seeded noise), so cutting it loses data.
    static func makeFile(_ dir: URL, _ name: String, shape: [Int] = [16, 16, 8]) throws -> (path: String, volume: Volume) {
        var state: UInt32 = 12345
        let voxels = (0..<shape.reduce(1, *)).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int16(truncatingIfNeeded: state >> 16))
        }
        let volume = Volume(shape: shape, voxels: voxels, affine: .diagonal([1, 1, 2]), datatype: .int16)
        let path = dir.appendingPathComponent(name).path
        try volume.write(to: path)
        return (path, volume)
    }

    static func error(reading path: String) -> NIfTIError? {
        do {
            _ = try Volume.read(path)
            return nil
        } catch let e as NIfTIError {
            #expect(e.description.contains(path), "the message must name the file: \(e)")
            return e
        } catch {
            Issue.record("not a NIfTIError: \(error)")
            return nil
        }
    }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
    static func save(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

    @Test func missingFileAndDirectory() throws {
        let dir = try Shared.temporaryDirectory("nifti-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope.nii.gz").path
        #expect(Self.error(reading: missing) == .fileNotFound(path: missing))
        guard case .unreadable = Self.error(reading: dir.path) else { Issue.record("a directory must be unreadable"); return }
    }

    @Test func truncatedAndCorruptGzip() throws {
        let dir = try Shared.temporaryDirectory("nifti-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, _) = try Self.makeFile(dir, "good.nii.gz")
        let good = try Self.bytes(path)

        // Cut in the middle of the voxel data.
        let half = dir.appendingPathComponent("half.nii.gz").path
        try Self.save(Array(good.prefix(good.count / 2)), half)
        let e1 = Self.error(reading: half)
        switch e1 {
        case .truncated(_, let what, let expected, let got)?:
            #expect(what == "voxel data" && expected == 4096 && got < expected, "\(e1!)")
        case .corruptCompression?: break
        default: Issue.record("half a .nii.gz gave \(String(describing: e1))")
        }

        // Only the 8-byte gzip trailer (CRC, length) missing: all data decompresses, the stream is still broken.
        let trailer = dir.appendingPathComponent("trailer.nii.gz").path
        try Self.save(Array(good.prefix(good.count - 8)), trailer)
        guard case .corruptCompression? = Self.error(reading: trailer) else { Issue.record("missing gzip trailer not noticed"); return }

        // Bytes flipped inside the compressed data.
        var flipped = good
        for i in stride(from: good.count / 2, to: good.count / 2 + 16, by: 1) { flipped[i] ^= 0x5a }
        let corrupt = dir.appendingPathComponent("corrupt.nii.gz").path
        try Self.save(flipped, corrupt)
        let e3 = Self.error(reading: corrupt)
        switch e3 {
        case .corruptCompression?, .truncated?: break
        default: Issue.record("corrupt gzip gave \(String(describing: e3))")
        }

        // A wrong CRC only.
        var badCRC = good
        badCRC[good.count - 8] ^= 0xff
        let crc = dir.appendingPathComponent("crc.nii.gz").path
        try Self.save(badCRC, crc)
        let e4 = Self.error(reading: crc)
        guard case .corruptCompression? = e4 else { Issue.record("bad CRC not noticed: \(String(describing: e4))"); return }

        // Header cut short, and an empty file.
        let tiny = dir.appendingPathComponent("tiny.nii.gz").path
        try Self.save(Array(good.prefix(30)), tiny)
        #expect(Self.error(reading: tiny) != nil)
        let empty = dir.appendingPathComponent("empty.nii").path
        try Self.save([], empty)
        guard case .truncated? = Self.error(reading: empty) else { Issue.record("empty file"); return }
    }

    @Test func truncatedUncompressed() throws {
        let dir = try Shared.temporaryDirectory("nifti-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, _) = try Self.makeFile(dir, "good.nii")
        let good = try Self.bytes(path)
        let cut = dir.appendingPathComponent("cut.nii").path
        try Self.save(Array(good.prefix(good.count - 100)), cut)
        #expect(Self.error(reading: cut) == .truncated(path: cut, what: "voxel data", expectedBytes: 4096, gotBytes: 3996))
        let header = dir.appendingPathComponent("header.nii").path
        try Self.save(Array(good.prefix(200)), header)
        #expect(Self.error(reading: header) == .truncated(path: header, what: "NIfTI-1 header", expectedBytes: 348, gotBytes: 200))
    }

    @Test func wrongMagicAndNotNIfTI() throws {
        let dir = try Shared.temporaryDirectory("nifti-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, _) = try Self.makeFile(dir, "good.nii")
        var bytes = try Self.bytes(path)
        bytes.replaceSubrange(344..<348, with: Array("xyz!".utf8))
        let magic = dir.appendingPathComponent("magic.nii").path
        try Self.save(bytes, magic)
        guard case .notNIfTI(_, let detail)? = Self.error(reading: magic) else { Issue.record("wrong magic accepted"); return }
        #expect(detail.contains("'xyz!'"))

        let text = dir.appendingPathComponent("text.nii.gz").path
        try Self.save(Array(String(repeating: "not an image at all\n", count: 40).utf8), text)
        guard case .notNIfTI(_, let d2)? = Self.error(reading: text) else { Issue.record("a text file was accepted"); return }
        #expect(d2.contains("not gzip-compressed"))
    }

    @Test func headerOnlyHdr() throws {
        let dir = try Shared.temporaryDirectory("nifti-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Shared.path("data/nifti-conformance/nifti1.hdr")
        let hdr = dir.appendingPathComponent("lonely.hdr").path
        try FileManager.default.copyItem(atPath: source, toPath: hdr)
        let e = Self.error(reading: hdr)
        #expect(e == .missingImageFile(header: hdr, tried: [dir.appendingPathComponent("lonely.img").path, dir.appendingPathComponent("lonely.img.gz").path]))
    }

    @Test func fiveDimensionalRGBAndSeries() throws {
        let dir = try Shared.temporaryDirectory("nifti-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, _) = try Self.makeFile(dir, "good.nii")
        let good = try Self.bytes(path)
        func int16s(_ values: [Int16]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } } }

        var fiveD = good  // dim[0] = 5, dim[5] = 3: three components per voxel
        fiveD.replaceSubrange(40..<56, with: int16s([5, 16, 16, 8, 1, 3, 1, 1]))
        let p5 = dir.appendingPathComponent("five.nii").path
        try Self.save(fiveD, p5)
        guard case .notScalarVolume(_, let dims, _)? = Self.error(reading: p5) else { Issue.record("5D accepted"); return }
        #expect(dims == [16, 16, 8, 1, 3])

        var rgb = good  // datatype 128 (RGB24), bitpix 24
        rgb.replaceSubrange(70..<74, with: int16s([128, 24]))
        let pRGB = dir.appendingPathComponent("rgb.nii").path
        try Self.save(rgb, pRGB)
        #expect(Self.error(reading: pRGB) == .unsupportedDatatype(path: pRGB, code: 128, name: "RGB24"))
        #expect(Self.error(reading: pRGB)!.description.contains("RGB24"))

        var series = good  // 4D with 2 volumes of 16x16x4
        series.replaceSubrange(40..<56, with: int16s([4, 16, 16, 4, 2, 1, 1, 1]))
        let p4 = dir.appendingPathComponent("series.nii").path
        try Self.save(series, p4)
        guard case .notScalarVolume(_, _, let detail)? = Self.error(reading: p4) else { Issue.record("4D series accepted"); return }
        #expect(detail.contains("2 volumes"))
        #expect(try Volume.read(p4, allowingTimeSeries: true).shape == [16, 16, 4, 2])
    }

    @Test func failedWritesLeaveNothing() throws {
        let dir = try Shared.temporaryDirectory("nifti-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let volume = Volume(shape: [2, 1, 1], voxels: [1, 300], affine: .identity, datatype: .uint8)
        let out = dir.appendingPathComponent("labels.nii.gz").path
        #expect(throws: NIfTIError.valueOutOfRange(path: out, value: 300, index: 1, datatype: .uint8)) { try volume.write(to: out) }
        let nan = Volume(shape: [2, 1, 1], voxels: [1, .nan], affine: .identity, datatype: .int16)
        #expect(throws: NIfTIError.self) { try nan.write(to: out) }
        #expect(throws: NIfTIError.unsupportedOutputName(path: dir.appendingPathComponent("x.img").path)) {
            try volume.write(to: dir.appendingPathComponent("x.img").path, datatype: .float32)
        }
        let nowhere = dir.appendingPathComponent("no/such/folder/x.nii").path
        #expect(throws: NIfTIError.self) { try volume.write(to: nowhere, datatype: .float32) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "a failed write left files behind")
        // An existing file is replaced only by a complete new one.
        try Volume(shape: [2, 1, 1], voxels: [1, 2], affine: .identity, datatype: .uint8).write(to: out)
        #expect(throws: NIfTIError.self) { try volume.write(to: out) }
        #expect(try Volume.read(out).voxels == [1, 2])
    }
}
