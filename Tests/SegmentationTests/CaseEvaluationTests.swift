// Per-node evaluation of class maps: cropping to the node's box changes nothing; ignore voxels; reports.
import Foundation
import Testing
import TestSupport
@testable import Segmentation

/// A 3-class phantom (0 background, 1 and 2 two blobs) on [24, 20, 14].
private func phantom(seed: UInt64, shift: Int = 0) -> [UInt8] {
    let shape = [24, 20, 14]
    let a = blob(shape: shape, centre: [8 + Double(shift), 10, 7], radii: [5, 6, 4], seed: seed)
    let b = blob(shape: shape, centre: [17, 9 + Double(shift), 6], radii: [4, 4, 3], seed: seed + 1)
    return (0..<a.values.count).map { a.values[$0] != 0 ? 1 : (b.values[$0] != 0 ? 2 : 0) }
}

private func members(_ values: [Int]) -> [Bool] { (0..<256).map { values.contains($0) } }

@Suite struct CaseEvaluationTests {
    let shape = [24, 20, 14], spacing = [0.9, 1.1, 2.0]

    @Test func predictionEqualToReferenceScoresOne() {
        let ref = phantom(seed: 5)
        let nodes = [EvaluatedNode(index: 1, name: "a", members: members([1])),
                     EvaluatedNode(index: 2, name: "b", members: members([2])),
                     EvaluatedNode(index: 3, name: "a+b", members: members([1, 2]))]
        let result = CaseEvaluation.evaluate(prediction: ref, reference: ref, shape: shape, spacing: spacing, nodes: nodes)
        for m in result {
            #expect(m.status == .bothPresent)
            #expect(m.dice == 1 && m.hausdorff95 == 0 && m.surfaceDice == [1, 1, 1])
        }
        #expect(result[2].counts.truePositives == result[0].counts.truePositives + result[1].counts.truePositives)
    }

    @Test func croppingToTheNodeBoxMatchesTheFullGrid() {
        let ref = phantom(seed: 5), pred = phantom(seed: 9, shift: 1)
        let node = EvaluatedNode(index: 3, name: "a+b", members: members([1, 2]))
        let cropped = CaseEvaluation.evaluate(prediction: pred, reference: ref, shape: shape, spacing: spacing, nodes: [node])[0]
        let full = StructureMetrics(groundTruth: BinaryMask(shape: shape, labels: ref) { $0 != 0 },
                                    prediction: BinaryMask(shape: shape, labels: pred) { $0 != 0 }, spacing: spacing)
        #expect(cropped == full)
        #expect(full.dice! < 1 && full.dice! > 0.5)
    }

    @Test func ignoredVoxelsCountNowhere() {
        var ref = phantom(seed: 5)
        let pred = ref.map { $0 == 0 ? UInt8(1) : $0 }  // predicts class 1 over the whole background
        let node = EvaluatedNode(index: 1, name: "a", members: members([1]))
        let before = CaseEvaluation.evaluate(prediction: pred, reference: ref, shape: shape, spacing: spacing, nodes: [node], surface: false)[0]
        #expect(before.counts.falsePositives > 0)
        for i in ref.indices where ref[i] == 0 { ref[i] = CaseEvaluation.ignoreValue }
        let after = CaseEvaluation.evaluate(prediction: pred, reference: ref, shape: shape, spacing: spacing, nodes: [node], surface: false)[0]
        #expect(after.counts.falsePositives == 0 && after.dice == 1)
    }

    @Test func absentNodeIsBothEmpty() {
        let ref = phantom(seed: 5)
        let m = CaseEvaluation.evaluate(prediction: ref, reference: ref, shape: shape, spacing: spacing,
                                        nodes: [EvaluatedNode(index: 7, name: "none", members: members([7]))])[0]
        #expect(m.status == .bothEmpty && m.dice == nil)
    }

    @Test func reportsNeverAverageUndefinedScores() {
        let ref = phantom(seed: 5), empty = [UInt8](repeating: 0, count: ref.count)
        let node = EvaluatedNode(index: 1, name: "body,a", members: members([1]))
        let good = CaseEvaluation.evaluate(prediction: ref, reference: ref, shape: shape, spacing: spacing, nodes: [node])[0]
        let missed = CaseEvaluation.evaluate(prediction: empty, reference: ref, shape: shape, spacing: spacing, nodes: [node])[0]
        let absent = CaseEvaluation.evaluate(prediction: empty, reference: empty, shape: shape, spacing: spacing, nodes: [node])[0]
        let records = [("c1", good), ("c2", missed), ("c3", absent)].map {
            EvaluationRecord(dataset: "d", caseName: $0.0, node: 1, nodeName: "body,a", metrics: $0.1)
        }
        let summary = EvaluationReport.summaryCSV(records)
        // Dice: defined for c1 (1) and c2 (0), not c3: n 2, mean 0.5. HD95: only c1.
        #expect(summary.contains("d,1,\"body,a\",dice,2,0.5,0.5,0.5,0,1,3,1,0,1,1\n"))
        #expect(summary.contains("d,1,\"body,a\",hd95_mm,1,0,0,0,0,0,3,1,0,1,1\n"))
        #expect(!summary.contains("nan") && !summary.contains("inf"))
        let long = EvaluationReport.longCSV(records)
        #expect(long.contains("d,c3,1,\"body,a\",both_empty,dice,\n"))
        #expect(long.contains("d,c2,1,\"body,a\",prediction_empty,recall,0\n"))
        let md = EvaluationReport.markdown(records)
        #expect(md.contains("| body,a | 3 | 0.500 ± 0.500 |"))
    }
}
