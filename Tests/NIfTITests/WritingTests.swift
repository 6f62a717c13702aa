// Writing: every datatype round-trips bit for bit through .nii and .nii.gz; a label map written "like"
// its input keeps the input's grid and header; label tables, scaling, pairs and singleton 4D read back.
import Foundation
import Testing
import TestSupport
@testable import NIfTI

struct WritingTests {
    /// An affine whose entries are exact in float32 (srow is stored as float32 in NIfTI-1).
    static let affine = Affine([[-0.75, 0, 0, 10.25], [0, 1.5, 0, -20.5], [0, 0, 2.5, 7.0], [0, 0, 0, 1]])

    /// Values each datatype holds exactly, including its extremes where a Float can represent them.
    static func values(for type: NIfTIDataType, count: Int) -> [Float] {
        let special: [Float]
        switch type {
        case .uint8: special = [0, 1, 254, 255]
        case .int8: special = [-128, -1, 0, 127]
        case .uint16: special = [0, 1, 65534, 65535]
        case .int16: special = [-32768, -1024, 0, 3071, 32767]
        case .uint32: special = [0, 16_777_216, 4_294_967_040]
        case .int32: special = [-2_147_483_648, -16_777_217 + 1, 0, 2_147_483_520]
        case .uint64: special = [0, 1, 18_446_742_974_197_923_840]
        case .int64: special = [-9_223_372_036_854_775_808, -1, 9_223_371_487_098_961_920]
        case .float32: special = [-0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .pi, 1e-30]
        case .float64: special = [-0.0, .infinity, .leastNormalMagnitude, -123.456, .nan]
        }
        // A seeded spread of ordinary values (SplitMix64), integral for integer types.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(type.code)
        var out = special
        let lo = max(type.range.lowerBound, -1000), hi = min(type.range.upperBound, 1000)
        while out.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let u = Double(z >> 11) / Double(1 << 53)
            let v = lo + u * (hi - lo)
            out.append(type.isInteger ? Float(v.rounded(.down)) : Float(v))
        }
        return out
    }

    @Test func everyDatatypeRoundTripsBitExactly() throws {
        let dir = try Shared.temporaryDirectory("nifti-write")
        defer { try? FileManager.default.removeItem(at: dir) }
        let shape = [5, 4, 3]
        for type in NIfTIDataType.allCases {
            let voxels = Self.values(for: type, count: 60)
            let volume = Volume(shape: shape, voxels: voxels, affine: Self.affine, datatype: type)
            for ext in [".nii", ".nii.gz"] {
                let path = dir.appendingPathComponent("\(type)\(ext)").path
                try volume.write(to: path)
                let back = try Volume.read(path)
                #expect(back.datatype == type, "\(type)\(ext)")
                #expect(back.shape == shape)
                #expect(back.voxels.map(\.bitPattern) == voxels.map(\.bitPattern), "\(type)\(ext): values changed")
                #expect(back.affine == Self.affine, "\(type)\(ext): affine\n\(back.affine)")
                #expect(back.orientation == "LAS")
                // The qform written from the affine describes the same grid.
                #expect(back.header.qform.maxDifference(Self.affine) < 1e-6, "\(type)\(ext): qform\n\(back.header.qform)")
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func reorientedAndResampledVolumesWriteTheirNewGrid() throws {
        let dir = try Shared.temporaryDirectory("nifti-write")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Volume.read(Shared.path("data/real/totalseg/patientA_ct.nii.gz"))
        #expect(input.orientation == "RAS")
        let lpi = input.reoriented(to: "LPI").resampled(toSpacing: [4, 4, 5], interpolation: .linear)
        let path = dir.appendingPathComponent("lpi.nii.gz").path
        try lpi.write(to: path)
        let back = try Volume.read(path)
        #expect(back.orientation == "LPI" && back.shape == lpi.shape && back.datatype == .float32)
        #expect(back.affine.maxDifference(lpi.affine) < 1e-4, "sform\n\(back.affine)\nvs\n\(lpi.affine)")
        #expect(back.header.qformCode == 0 && back.header.sformCode == 2, "codes kept from the input")
        #expect(back.voxels == lpi.voxels)

        // An input with a qform: the quaternion is recomputed from the new affine, so qform == sform.
        let anatomical = try Volume.read(Shared.path("data/nifti-conformance/anatomical.nii"))
        #expect(anatomical.header.qformCode == 2 && anatomical.orientation == "LAS")
        let turned = anatomical.reoriented(to: "PIR")
        let turnedPath = dir.appendingPathComponent("pir.nii").path
        try turned.write(to: turnedPath)
        let turnedBack = try Volume.read(turnedPath)
        #expect(turnedBack.header.qformCode == 2 && turnedBack.orientation == "PIR")
        #expect(turnedBack.header.qform.maxDifference(turned.affine) < 1e-5, "qform\n\(turnedBack.header.qform)\nvs\n\(turned.affine)")
        #expect(turnedBack.reoriented(to: "LAS").voxels == anatomical.voxels)
    }

    @Test func longDimensionsWriteNIfTI2() throws {
        let dir = try Shared.temporaryDirectory("nifti-write")
        defer { try? FileManager.default.removeItem(at: dir) }
        let volume = Volume(shape: [40000, 2, 1], voxels: (0..<80000).map { Float($0 % 251) }, affine: Self.affine, datatype: .uint8)
        let path = dir.appendingPathComponent("long.nii.gz").path
        try volume.write(to: path)
        let back = try Volume.read(path)
        #expect(back.header.version == 2)
        #expect(back.shape == volume.shape && back.voxels == volume.voxels && back.affine == Self.affine)
    }

    @Test func writingAsAnotherDatatypeRounds() throws {
        let dir = try Shared.temporaryDirectory("nifti-write")
        defer { try? FileManager.default.removeItem(at: dir) }
        let volume = Volume(shape: [2, 2, 1], voxels: [0.4, 1.5, 2.5, -3.6], affine: .identity)
        let path = dir.appendingPathComponent("r.nii").path
        try volume.write(to: path, datatype: .int16)
        let back = try Volume.read(path)
        #expect(back.voxels == [0, 2, 2, -4])  // ties to even, like numpy's rint
        #expect(back.datatype == .int16)
    }

    @Test func labelMapLikeItsInputKeepsTheGridAndHeader() throws {
        let input = try Volume.read(Shared.path("data/real/totalseg/patientB_ct.nii.gz"))
        let dir = try Shared.temporaryDirectory("nifti-like")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mask = input.voxels.map { $0 > 200 ? Float(1) : ($0 < -500 ? 2 : 0) }
        var labels = input.with(voxels: mask, datatype: .uint8)
        labels.labelTable = [1: "bone & contrast", 2: "air <outside>", 3: "odd]]>name"]
        let path = dir.appendingPathComponent("labels.nii.gz").path
        try labels.write(to: path, datatype: nil, compressionLevel: 1)
        let back = try Volume.read(path)
        #expect(back.shape == input.shape)
        #expect(back.affine == input.affine, "affine\n\(back.affine)\nvs\n\(input.affine)")
        #expect(back.orientation == input.orientation)
        #expect(back.header.qformCode == input.header.qformCode && back.header.sformCode == input.header.sformCode)
        #expect(back.header.quaternB == input.header.quaternB && back.header.quaternC == input.header.quaternC && back.header.quaternD == input.header.quaternD)
        #expect(back.header.qoffsetX == input.header.qoffsetX && back.header.pixdim == input.header.pixdim)
        #expect(back.header.descrip == input.header.descrip && back.header.xyzUnits == input.header.xyzUnits)
        #expect(back.datatype == .uint8)
        #expect(back.voxels == mask)
        #expect(back.labelTable == labels.labelTable)
        #expect(VolumeStatistics(back.voxels).valueCounts?[1] == mask.filter { $0 == 1 }.count)
    }

    @Test func scalingIsAppliedAndUndone() throws {
        let dir = try Shared.temporaryDirectory("nifti-scale")
        defer { try? FileManager.default.removeItem(at: dir) }
        var volume = Volume(shape: [3, 1, 1], voxels: [-1024, -1023.5, 3071], affine: .identity, datatype: .int16)
        volume.header.sclSlope = 0.5
        volume.header.sclInter = -1024
        let path = dir.appendingPathComponent("scaled.nii").path
        try volume.write(to: path)
        let header = try Volume.readHeader(path)
        #expect(header.sclSlope == 0.5 && header.sclInter == -1024)
        // Raw values on disk are (v + 1024) / 0.5.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let raw = data.suffix(6).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        #expect(raw == [0, 1, 8190])
        let back = try Volume.read(path)
        #expect(back.voxels == volume.voxels)
        // Slope 0 means no scaling (the standard), whatever the intercept.
        var unscaled = volume
        unscaled.header.sclSlope = 0
        unscaled.header.sclInter = 5
        #expect(!unscaled.header.hasScaling)
    }

    @Test func singletonFourthDimensionReadsAs3D() throws {
        let dir = try Shared.temporaryDirectory("nifti-4d")
        defer { try? FileManager.default.removeItem(at: dir) }
        var volume = Volume(shape: [5, 4, 3], voxels: (0..<60).map(Float.init), affine: Self.affine, datatype: .int16)
        volume.header.dim = [4, 5, 4, 3, 1, 1, 1, 1]
        let path = dir.appendingPathComponent("t1.nii.gz").path
        try volume.write(to: path)
        #expect(try Volume.readHeader(path).dim[0] == 4)
        let back = try Volume.read(path)
        #expect(back.shape == [5, 4, 3] && back.voxels == volume.voxels)
    }

    @Test func hdrImgPairReads() throws {
        let dir = try Shared.temporaryDirectory("nifti-pair")
        defer { try? FileManager.default.removeItem(at: dir) }
        let volume = Volume(shape: [5, 4, 3], voxels: (0..<60).map { Float($0 * 3 - 50) }, affine: Self.affine, datatype: .int16)
        let nii = dir.appendingPathComponent("single.nii").path
        try volume.write(to: nii)
        // Split the single file into a pair: magic "ni1", vox_offset 0, data in the .img.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: nii)))
        let offset = Int(bytes[108..<112].withUnsafeBytes { $0.loadUnaligned(as: Float.self) })
        let data = Array(bytes[offset...])
        bytes = Array(bytes[0..<348])
        bytes.replaceSubrange(344..<348, with: Array("ni1".utf8) + [0])
        bytes.replaceSubrange(108..<112, with: withUnsafeBytes(of: Float(0)) { Array($0) })
        try Data(bytes).write(to: dir.appendingPathComponent("pair.hdr"))
        try Data(data).write(to: dir.appendingPathComponent("pair.img"))
        let back = try Volume.read(dir.appendingPathComponent("pair.hdr").path)
        #expect(back.voxels == volume.voxels && back.affine == Self.affine && back.header.isPair)
    }
}
