// A real DICOM series (TotalSegmentator's example, 20 JPEG 2000 slices) through dcm2niix: it lands on
// exactly the grid of the label map TotalSegmentator made from it, and converts with that label map.
import Foundation
import NIfTI
import Testing
import TestSupport
@testable import Conversion

@Suite struct DICOMTests {
    @Test func patientCSeriesMatchesItsLabelGrid() throws {
        let dicom = Shared.path("data/real/totalseg/patientC_ct_dicom"), segFile = Shared.path("data/real/totalseg/patientC_seg.nii.gz")
        let seg = try Volume.read(segFile)
        let (file, tmp) = try DICOMSeries.convert(folder: dicom, caseName: "patientC")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ct = try Volume.read(file)
        #expect(ct.shape == seg.shape && ct.shape == [512, 512, 20])
        let d = ct.affine.maxDifference(seg.affine)
        print("patientC: dcm2niix affine vs patientC_seg affine, largest difference \(d)")
        #expect(d < 1e-4)
        #expect(GridCheck.cornerDisplacement(ct.affine, seg.affine, shape: ct.shape) < 1e-3)
        let hu = ct.voxels.reduce(into: (Float.infinity, -Float.infinity)) { $0 = (min($0.0, $1), max($0.1, $1)) }
        #expect(hu.0 <= -1000 && hu.1 > 1000, "HU range \(hu)")

        // Through the dicom spec: the label map's table names map via labels/totalseg to the same values
        // (labels/totalseg follows TotalSegmentator's own numbering), in LPI.
        let src = try Fixture.folder("dicom"), out = try Fixture.folder("dicom-out") + "/c"
        defer { try? FileManager.default.removeItem(atPath: src) }
        try FileManager.default.createSymbolicLink(atPath: src + "/patientC_ct_dicom", withDestinationPath: dicom)
        try FileManager.default.createSymbolicLink(atPath: src + "/patientC_seg.nii.gz", withDestinationPath: segFile)
        let report = try Fixture.convert(try Fixture.spec("dicom"), src, out)
        #expect(report.cases.map(\.name) == ["patientC"])
        let label = try Volume.read(out + "/train/labels/patientC.nii.gz"), image = try Volume.read(out + "/train/images/patientC.nii.gz")
        let lpi = seg.reoriented(to: "LPI")
        #expect(label.shape == lpi.shape && label.affine.maxDifference(lpi.affine) < 1e-4 && image.affine.maxDifference(lpi.affine) < 1e-4)
        #expect(label.voxels == lpi.voxels)
        #expect(image.datatype == .int16)
        let tree = try Fixture.lines(out + "/tree-labels.txt")
        #expect(tree.filter { $0 != "-" }.count == seg.labelTable.count)
    }
}
