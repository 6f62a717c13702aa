// SALT loss, leaf argmax and confusion counts: golden cases, fast against reference, finite differences.
import Foundation
import Testing
import Tensor
import TestSupport
@testable import Labels

@Suite struct SaltLossTests {
    @Test func matchesReferenceCases() throws {
        let tree = try goldenTree()
        let golden = try Shared.goldenJSON("loss.json") as! [String: Any]
        let file = try Shared.goldenTensors("loss.safetensors")
        let loss = SaltLoss(tree: tree)   // no sinks in this tree: sinkDice must be 0 whatever the weight
        for case_ in golden["cases"] as! [[String: Any]] {
            let key = case_["key"] as! String
            let mask = ints(case_["class_mask"]).map { $0 != 0 }
            // The mask is the dataset's own: derive it from the label files too.
            let dataset = try DatasetLabels(name: case_["dataset"] as! String, file: try saltLabels(case_["dataset"] as! String), tree: tree)
            #expect(dataset.annotated == mask, "\(key): annotated mask of \(dataset.name)")
            let logits = Tensor(shape: file["\(key).logits"]!.shape, values: file["\(key).logits"]!.floats)
            let targets = file["\(key).target"]!.ints.map { UInt8($0) }
            let r = loss.compute(logits: logits, targets: targets, annotated: [mask])
            let want = ["ce": r.ce, "dice": r.dice, "sink_dice": r.sinkDice, "total": r.total]
            for (name, got) in want {
                let ref = (case_[name] as! NSNumber).doubleValue
                let d = abs(got - ref) / max(abs(ref), 1e-12)
                print("loss \(key) \(name): \(got) vs \(ref), relative difference \(d)")
                #expect(name == "sink_dice" ? got == 0 && ref == 0 : d < 1e-5, "\(key) \(name)")
            }
            let g = maxScaledDifference(doubles(r.gradLogits!), file["\(key).grad_logits"]!.values)
            let gr = maxRelativeDifference(doubles(r.gradLogits!), file["\(key).grad_logits"]!.values, floor: 1e-6)
            // Elementwise relative differences reach ~2e-4 only on elements ~1e-3 of the largest, where the
            // tree softmax backward subtracts nearly equal float32 terms; the scaled figure is the check.
            print("loss \(key) gradLogits: largest scaled difference \(g), elementwise relative (floor 1e-6) \(gr)")
            #expect(g < 1e-5)
            #expect(gr < 1e-3)
            #expect(r.predictedLeaves.map(Int.init) == file["\(key).pred_leaf"]!.ints, "\(key) leaf argmax")
            #expect(LeafArgmax.compute(TreeSoftmax.forward(logits, tree: tree), tree: tree) == r.predictedLeaves)
            let counts = ConfusionCounts.compute(predicted: r.predictedLeaves, target: targets, annotated: mask, tree: tree)
            #expect(counts.flatMap { $0 } == file["\(key).confusion"]!.ints, "\(key) confusion counts")
            #expect(ConfusionCounts.reference(predicted: r.predictedLeaves, target: targets, annotated: mask, tree: tree) == counts)
        }
    }

    /// A tree with sinks, a batch of two datasets, ignored voxels: fast against the plain reference.
    @Test func fastAgreesWithReferenceWithSinks() throws {
        let tree = try LabelTree(paths: [["background"], ["body", "abdomen", "liver"], ["body", "abdomen", "kidney", "left"],
                                         ["body", "abdomen", "kidney", "right"], ["body", "bones"], ["body", "lungs", "left"], ["body", "lungs", "right"]],
                                 sinks: [["body", "other"], ["body", "abdomen", "other"]])
        // classes: 0 background, 1 body, 2 abdomen, 3 kidney, 4 left, 5 right, 6 liver, 7 abdomen,other,
        //          8 bones, 9 lungs, 10 lungs,left, 11 lungs,right, 12 body,other
        #expect(tree.sinks == [7, 12])
        let c = tree.count, s = 150
        let shape = [2, c, 3, 5, 10]
        let logits = randomTensor(shape, seed: 99, scale: 3)
        var rng = SeededRandom(seed: 5)
        // Sample 0 labels leaves and kidneys as a whole; sample 1 uses a coarse label set (no kidney split,
        // no lungs), so some siblings of the sinks are missing from its mask.
        let fine: [UInt8] = [0, 4, 5, 6, 8, 10, 11, 3, 255]
        let coarse: [UInt8] = [0, 3, 6, 8, 255]
        var targets: [UInt8] = []
        for _ in 0..<s { targets.append(fine[Int(rng.next() % UInt64(fine.count))]) }
        for _ in 0..<s { targets.append(coarse[Int(rng.next() % UInt64(coarse.count))]) }
        let maskFine = tree.annotatedMask(explicit: [0, 3, 4, 5, 6, 8, 10, 11])
        let maskCoarse = tree.annotatedMask(explicit: [0, 3, 6, 8])
        for weight in [0.0, 0.1, 0.7] {
            var loss = SaltLoss(tree: tree, sinkWeight: weight)
            loss.epsilon = 1e-7
            let fast = loss.compute(logits: logits, targets: targets, annotated: [maskFine, maskCoarse])
            let ref = loss.reference(logits: doubles(logits), shape: shape, targets: targets, annotated: [maskFine, maskCoarse])
            for (a, b) in zip(fast.perSample, ref.perSample) {
                #expect(abs(a.ce - b.ce) < 1e-5 * abs(b.ce) && abs(a.dice - b.dice) < 1e-5 && abs(a.sinkDice - b.sinkDice) < 1e-6)
            }
            if weight > 0 { #expect(fast.sinkDice > 0.01) } else { #expect(fast.sinkDice == 0) }
            #expect(abs(fast.total - ref.terms.total) < 1e-5 * ref.terms.total)
            let d = maxScaledDifference(doubles(fast.gradLogits!), ref.gradLogits)
            print("salt loss fast vs reference gradient (sink weight \(weight)): \(d); total \(fast.total)")
            #expect(d < 1e-5)
        }
    }

    @Test func referenceGradientPassesFiniteDifferences() throws {
        let tree = try LabelTree(paths: [["bg"], ["body", "a", "x"], ["body", "a", "y"], ["body", "b"]], sinks: [["body", "other"]])
        // classes: 0 bg, 1 body, 2 a, 3 x, 4 y, 5 b, 6 other
        let c = tree.count, s = 12
        let shape = [2, c, s]
        var rng = SeededRandom(seed: 3)
        let x = (0..<(2 * c * s)).map { _ in rng.signed() * 2 }
        let targets: [UInt8] = [0, 3, 4, 5, 2, 255, 3, 0, 5, 4, 1, 3,   255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255]
        let masks = [tree.annotatedMask(explicit: [0, 3, 4, 5]), tree.annotatedMask(explicit: [0, 2])]
        let loss = SaltLoss(tree: tree, sinkWeight: 0.5)
        let ref = loss.reference(logits: x, shape: shape, targets: targets, annotated: masks)
        // Sample 1 has no valid voxel: its ce is NaN and leaves the batch mean alone.
        #expect(ref.perSample[1].ce.isNaN && !ref.terms.ce.isNaN)
        #expect(ref.perSample[0].sinkDice > 0)
        func total(_ x: [Double]) -> Double { loss.reference(logits: x, shape: shape, targets: targets, annotated: masks).terms.total }
        var numeric: [Double] = []
        for i in x.indices {
            var p = x, m = x
            p[i] += 1e-6; m[i] -= 1e-6
            numeric.append((total(p) - total(m)) / 2e-6)
        }
        // The sink target depends on the leaf argmax (held fixed, like SALT's detach); a step this small
        // does not flip it.
        let d = maxScaledDifference(ref.gradLogits, numeric)
        print("salt loss reference gradient vs finite differences (Double): \(d)")
        #expect(d < 1e-6)
        // And the fast kernel on the same case.
        let fast = loss.compute(logits: Tensor(shape: shape, values: x.map(Float.init)), targets: targets, annotated: masks)
        let df = maxScaledDifference(doubles(fast.gradLogits!), ref.gradLogits)
        print("salt loss fast gradient vs reference (no-valid-voxel sample): \(df)")
        #expect(df < 1e-5)
        #expect(fast.perSample[1].ce.isNaN && abs(fast.ce - ref.terms.ce) < 1e-5 * ref.terms.ce)
    }

    @Test func fastGradientPassesFiniteDifferences() throws {
        let tree = try miniTree()
        let shape = [1, tree.count, 2, 3, 4]
        let x = randomTensor(shape, seed: 41, scale: 1.5)
        var rng = SeededRandom(seed: 42)
        let classes: [UInt8] = [0, 4, 5, 6, 7, 8, 9, 3, 255]
        let targets = (0..<24).map { _ in classes[Int(rng.next() % 9)] }
        let mask = [Bool](repeating: true, count: tree.count)
        let loss = SaltLoss(tree: tree)
        let g = loss.compute(logits: x, targets: targets, annotated: [mask]).gradLogits!
        var numeric: [Double] = []
        let eps: Float = 1e-2
        for i in 0..<x.count {
            let p = x.copy(), m = x.copy()
            p[flat: i] += eps; m[flat: i] -= eps
            let lp = loss.compute(logits: p, targets: targets, annotated: [mask], gradient: false).total
            let lm = loss.compute(logits: m, targets: targets, annotated: [mask], gradient: false).total
            numeric.append((lp - lm) / Double(2 * eps))
        }
        let d = maxScaledDifference(doubles(g), numeric)
        print("salt loss fast gradient vs finite differences (Float, eps 1e-2): \(d)")
        #expect(d < 5e-3)
    }

    @Test func handWorkedLoss() throws {
        // Tree a, b{b1, b2}; one voxel labelled b1, all classes annotated; logits 0 -> q = [.5, .5, .25, .25].
        let tree = try LabelTree(paths: [["a"], ["b", "b1"], ["b", "b2"]])
        let r = SaltLoss(tree: tree).compute(logits: Tensor(shape: [1, 4, 1]), targets: [2], annotated: [[true, true, true, true]])
        // ce = -log .5 - log .25; dice over (a, b, b1, b2) = 1 - 2 I / (G + P + 1e-5) each.
        #expect(abs(r.ce - (Foundation.log(2.0) + Foundation.log(4.0))) < 1e-6)
        let want = ((1 - 0.0) + (1 - 1.0 / 1.50001) + (1 - 0.5 / 1.25001) + (1 - 0.0)) / 4
        #expect(abs(r.dice - want) < 1e-6)
        #expect(r.predictedLeaves == [0])   // a (0.5) beats b1 and b2 (0.25)
    }

    @Test func confusionCountsByHand() throws {
        let tree = try LabelTree(paths: [["a"], ["b", "b1"], ["b", "b2"]])
        // classes 0 a, 1 b, 2 b1, 3 b2
        let target: [UInt8] = [0, 2, 3, 1, 255, 2]
        let predicted: [UInt8] = [0, 2, 2, 3, 0, 0]
        let counts = ConfusionCounts.compute(predicted: predicted, target: target, annotated: [true, true, true, false], tree: tree)
        // a: tp 1 (v0), fp 1 (v5); b: tp 3 (v1, v2, v3), fn 1 (v5); b1: tp 1 (v1), fp 1 (v2), fn 1 (v5); b2 not annotated.
        #expect(counts == [[1, 1, 0], [3, 0, 1], [1, 1, 1], [0, 0, 0]])
        #expect(NodeMask.mask(node: 1, classMap: target, tree: tree) == [false, true, true, true, false, true])
    }
}

