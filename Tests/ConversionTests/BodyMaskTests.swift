// The body mask, --body-mask on a single-structure dataset, resampling, previews and PNG bytes, and
// byte-identical reruns.
import Foundation
import NIfTI
import Testing
import TestSupport
@testable import Conversion

@Suite struct BodyMaskTests {
    static let shape = [20, 20, 6]

    /// A disc of tissue (radius 7) with an air-filled "lung" inside, and a detached "table" below it.
    static func phantom(_ i: Int, _ j: Int, _ k: Int) -> Float {
        let r2 = (i - 10) * (i - 10) + (j - 10) * (j - 10)
        if j == 19 { return 0 }                                        // the table
        if (i - 8) * (i - 8) + (j - 10) * (j - 10) <= 4 { return -900 }  // lung
        return r2 <= 49 ? 40 : -1000
    }

    @Test func bodyMaskFillsHolesAndDropsTheTable() {
        let s = Self.shape
        var v = [Float]()
        for k in 0..<s[2] { for j in 0..<s[1] { for i in 0..<s[0] { v.append(Self.phantom(i, j, k)) } } }
        let mask = BodyMask.compute(voxels: v, shape: s, axialAxis: 2)
        func m(_ i: Int, _ j: Int, _ k: Int) -> Bool { mask[i + 20 * (j + 20 * k)] }
        #expect(m(10, 10, 3) && m(8, 10, 0), "tissue and the lung inside are body")
        #expect(!m(0, 0, 0) && !m(5, 19, 2), "air and the table are not")
        let inside = (0..<400).filter { p in ((p % 20) - 10) * ((p % 20) - 10) + ((p / 20) - 10) * ((p / 20) - 10) <= 49 }.count
        #expect(mask.filter { $0 }.count == inside * 6)
        // A hole open to the slice border is not a hole.
        let notch = BodyMask.largestComponent([true, false, true, true], shape: [4, 1, 1])
        #expect(notch == [false, false, true, true])
    }

    /// A heart-only dataset with --body-mask: background outside, body inside, heart kept.
    @Test func singleStructureWithBodyMask() throws {
        let src = try Fixture.folder("heart"), out = try Fixture.folder("heart-out") + "/heart"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try Fixture.write(src + "/p_ct.nii.gz", shape: Self.shape, Self.phantom)
        try Fixture.write(src + "/p_heart.nii.gz", shape: Self.shape, datatype: .uint8) { i, j, _ in i == 12 && j == 10 ? 1 : 0 }
        var options = ConversionOptions()
        options.bodyMask = true
        let report = try Fixture.convert(try Fixture.spec("heart-mask"), src, out, options)
        #expect(try Fixture.lines(out + "/tree-labels.txt") == ["background", "body,thoracic_cavity,mediastinum,pericardium", "body"])
        #expect(try Fixture.lines(out + "/labels.txt") == ["background", "heart", "body"])
        let label = try Volume.read(out + "/train/labels/p.nii.gz")
        func at(_ i: Int, _ j: Int, _ k: Int) -> Float { label.voxels[label.index(19 - i, 19 - j, 5 - k)] }   // RAS -> LPI
        #expect(at(12, 10, 2) == 1 && at(8, 10, 2) == 2 && at(10, 5, 2) == 2 && at(0, 0, 2) == 0 && at(5, 19, 2) == 0)
        #expect(report.cases[0].voxelCounts[1] == 6)
        // Without the option the same data says nothing about the rest of the body.
        try Fixture.convert(try Fixture.spec("heart-mask"), src, out)
        #expect(try Fixture.lines(out + "/tree-labels.txt") == ["-", "body,thoracic_cavity,mediastinum,pericardium"])
        // A dataset labelling every structure puts the rest of its body into a sink; the voxels are the same.
        options.bodyPath = "body,other"
        try Fixture.convert(try Fixture.spec("heart-mask"), src, out, options)
        #expect(try Fixture.lines(out + "/tree-labels.txt") == ["background", "body,thoracic_cavity,mediastinum,pericardium", "body,other"])
        #expect(try Fixture.lines(out + "/labels.txt") == ["background", "heart", "body"])
        #expect(try Volume.read(out + "/train/labels/p.nii.gz").voxels == label.voxels)
        // Not a path under body, or one that collides with the heart's (equal, its ancestor, below it).
        let heart = "body,thoracic_cavity,mediastinum,pericardium"
        for bad in ["body,", " body", "body,,other", "body, other", "body,oth\ner", "-", "background", "other", "other,body",
                    "body,thoracic_cavity", heart, heart + ",other"] {
            options.bodyPath = bad
            #expect(throws: ConversionError.self, "\(bad)") { try Fixture.convert(try Fixture.spec("heart-mask"), src, out, options) }
        }
        #expect(try Fixture.lines(out + "/tree-labels.txt") == ["background", heart, "body,other"], "a rejected option keeps the output")
        options.bodyMask = false
        options.bodyPath = "body"
        #expect(throws: ConversionError.self) { try Fixture.convert(try Fixture.spec("heart-mask"), src, out, options) }
    }

    @Test func resamplingSliceThickness() throws {
        let src = try Fixture.folder("rs"), out = try Fixture.folder("rs-out") + "/rs"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try Fixture.write(src + "/p_ct.nii.gz", shape: Self.shape, Self.phantom)
        try Fixture.write(src + "/p_heart.nii.gz", shape: Self.shape, datatype: .uint8) { i, _, _ in i < 10 ? 1 : 0 }
        var options = ConversionOptions()
        options.spacing = [0, 0, 2]
        try Fixture.convert(try Fixture.spec("heart-mask"), src, out, options)
        let image = try Volume.read(out + "/train/images/p.nii.gz"), label = try Volume.read(out + "/train/labels/p.nii.gz")
        #expect(image.spacing.map { ($0 * 1e6).rounded() / 1e6 } == [1, 1, 2])
        #expect(image.shape[0] == 20 && image.shape[1] == 20 && image.shape[2] < 6 && label.shape == image.shape)
        #expect(Set(label.voxels) == [0, 1], "nearest neighbour keeps label values")
        #expect(label.affine.maxDifference(image.affine) < 1e-9)
    }

    @Test func previewsAndPNG() throws {
        let png = try PNGWriter.encode(width: 3, height: 2, rgb: [UInt8](repeating: 200, count: 18))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[8..<16]) == [0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])                // IHDR, 13 bytes
        #expect(Array(png[16..<29]) == [0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0])             // 3x2, 8-bit RGB
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])   // IEND + its CRC
        // IHDR's CRC (zlib's crc32 over type and data), against a bitwise CRC-32 written here.
        func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes { c ^= UInt32(b); for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 } }
            return ~c
        }
        let stored = png[29..<33].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(stored == crc(png[12..<29]))

        // A label at the volume's centre shows in colour in all three panels; the rest stays grey.
        let shape = [9, 9, 9]
        var image = [Float](repeating: 0, count: 729), labels = [UInt8](repeating: 0, count: 729)
        for p in 0..<729 { image[p] = Float(p % 9) }
        labels[4 + 9 * (4 + 9 * 4)] = 1
        let a: [[Double]] = [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, -1, 0], [0, 0, 0, 1]]   // LPI, 1 mm
        let p = Preview.render(image: image, labels: labels, shape: shape, affine: a, panelSize: 9)
        #expect(p.width == 9 * 3 + 8 && p.height == 9)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(p.rgb[(y * p.width + x) * 3..<(y * p.width + x) * 3 + 3]) }
        for x0 in [0, 13, 26] {
            let c = pixel(x0 + 4, 4)
            #expect(!(c[0] == c[1] && c[1] == c[2]), "panel at \(x0): centre should be coloured, got \(c)")
            let g = pixel(x0 + 1, 1)
            #expect(g[0] == g[1] && g[1] == g[2])
        }
    }

    /// The same source converts to the same bytes, previews included.
    @Test func rerunsWriteIdenticalFiles() throws {
        let src = try Fixture.folder("det"), o1 = try Fixture.folder("det-1") + "/d", o2 = try Fixture.folder("det-2") + "/d"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try Fixture.write(src + "/b_ct.nii.gz", shape: Self.shape, Self.phantom)
        try Fixture.write(src + "/b_heart.nii.gz", shape: Self.shape, datatype: .uint8) { i, _, _ in i == 10 ? 1 : 0 }
        try Fixture.write(src + "/a_ct.nii.gz", shape: Self.shape, Self.phantom)
        try Fixture.write(src + "/a_heart.nii.gz", shape: Self.shape, datatype: .uint8) { i, _, _ in i == 11 ? 1 : 0 }
        var options = ConversionOptions()
        options.previews = true
        options.bodyMask = true
        try Fixture.convert(try Fixture.spec("heart-mask"), src, o1, options)
        try Fixture.convert(try Fixture.spec("heart-mask"), src, o2, options)
        try Fixture.convert(try Fixture.spec("heart-mask"), src, o2, options)   // over its own earlier output
        let files = Fixture.files(o1)
        #expect(files.contains("previews/a.png") && files.contains("train/labels/b.nii.gz"))
        #expect(files == Fixture.files(o2))
        for f in files {
            #expect(FileManager.default.contents(atPath: o1 + "/" + f) == FileManager.default.contents(atPath: o2 + "/" + f), "\(f) differs")
        }
    }
}
