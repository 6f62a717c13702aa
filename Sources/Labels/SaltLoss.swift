// The SALT training loss (UMEssen/SALT, salt/train.py `TrainingModel._compute_loss`) and its gradient
// with respect to the logits, through the tree softmax.
//
// Per sample, over its valid voxels (target != 255) and the classes its dataset annotates (mask A):
//   y_c(v)   = 1 when class c is on the path of the voxel's target class (ancestor-closed encoding)
//   ce       = mean_v  sum_{c in A} -y_c log(clip(q_c, 1e-7, 1 - 1e-7))
//   dice     = mean_{c in A} 1 - 2 sum_v y_c q_c / (sum_v y_c + sum_v q_c + 1e-5)   (MONAI DiceLoss,
//              smooth_nr = 0, smooth_dr = 1e-5, input (1, |A|, V))
//   sinkDice = sinkWeight * mean over active sinks of 1 - (2 I + 1e-5) / (G + P + 1e-5)   (MONAI
//              defaults), where a sink's target is "predicted inside its parent and not labelled (or,
//              for siblings this dataset does not annotate, predicted) as one of its siblings"; a sink
//              is active when some valid voxel lies in a sibling.
//   total    = ce + dice + sinkDice
// A batch is reduced like SALT (`loss.nanmean(0).sum()`): each term is averaged over the samples where
// it is a number (ce is NaN for a sample without valid voxels, dice for one without annotated classes).
//
// One deliberate difference: SALT tests "labelled as a sibling" with `torch.isin(y, siblings)`, i.e.
// the exact class index, which only works when the siblings are leaves; salt asks whether the target
// lies in a sibling's subtree (the same whenever the siblings are leaves). The golden cases have no sinks.
//
// Shapes: logits / probabilities [N, C, spatial...] float32 (C = tree.count); targets N * S class
// indices (UInt8, 255 = ignore) in the same voxel order; gradLogits like logits.
import Foundation
import Tensor

/// The SALT loss for a label tree.
public struct SaltLoss: Sendable {
    public var tree: LabelTree
    /// Weight of the sink Dice term (SALT's `--sink-weight`, default 0.1).
    public var sinkWeight: Double
    /// Cross-entropy clip (SALT: 1e-7).
    public var epsilon: Double = 1e-7
    /// Dice denominator smoothing (MONAI default 1e-5; SALT sets the numerator's to 0 for the class Dice).
    public var smooth: Double = 1e-5

    public init(tree: LabelTree, sinkWeight: Double = 0.1) {
        self.tree = tree
        self.sinkWeight = sinkWeight
    }

    /// One sample's terms (NaN where SALT's would be NaN).
    public struct Terms: Sendable, Equatable {
        public var ce: Double
        public var dice: Double
        public var sinkDice: Double
        public var total: Double { ce + dice + sinkDice }
    }

    public struct Result: @unchecked Sendable {
        /// Batch values: each term averaged over the samples where it is a number.
        public var ce: Double
        public var dice: Double
        public var sinkDice: Double
        public var total: Double
        public var perSample: [Terms]
        /// d(total)/d(logits), [N, C, spatial...]; nil when not asked for.
        public var gradLogits: Tensor?
        /// Leaf argmax of the probabilities (class indices), N * S; the network's prediction, e.g. for
        /// `ConfusionCounts`.
        public var predictedLeaves: [UInt8]
    }

    /// Loss and gradient from logits: runs the tree softmax, then `compute(probabilities:...)`.
    /// `annotated`: one mask per sample, or a single mask for all.
    public func compute(logits: Tensor, targets: [UInt8], annotated: [[Bool]], gradient: Bool = true) -> Result {
        compute(probabilities: TreeSoftmax.forward(logits, tree: tree), targets: targets, annotated: annotated, gradient: gradient)
    }

    public func callAsFunction(logits: Tensor, targets: [UInt8], annotated: [[Bool]]) -> Result {
        compute(logits: logits, targets: targets, annotated: annotated)
    }

    /// Loss from logits with targets as a float tensor of class indices ([N, 1, ...] or [N, ...]).
    public func compute(logits: Tensor, targets: Tensor, annotated: [[Bool]], gradient: Bool = true) -> Result {
        compute(logits: logits, targets: SaltLoss.classIndices(targets), annotated: annotated, gradient: gradient)
    }

    /// Loss from probabilities with targets as a float tensor of class indices.
    public func compute(probabilities: Tensor, targets: Tensor, annotated: [[Bool]], gradient: Bool = true,
                        gradientInto: Tensor? = nil) -> Result {
        compute(probabilities: probabilities, targets: SaltLoss.classIndices(targets), annotated: annotated,
                gradient: gradient, gradientInto: gradientInto)
    }

    /// One annotated mask for every sample.
    public func compute(logits: Tensor, targets: [UInt8], annotated: [Bool], gradient: Bool = true) -> Result {
        compute(logits: logits, targets: targets, annotated: [annotated], gradient: gradient)
    }

    /// Float class indices -> bytes (values are rounded; anything outside 0...255 becomes 255).
    public static func classIndices(_ t: Tensor) -> [UInt8] {
        (0..<t.count).map { i in
            let v = t[flat: i].rounded()
            return v >= 0 && v <= 255 ? UInt8(v) : 255
        }
    }

    /// Loss and d(total)/d(logits) from the tree softmax's output. `gradientInto`: a tensor shaped like
    /// the probabilities to write the gradient into (reused across steps; it may be the probabilities
    /// tensor itself, which is then overwritten); a new one otherwise.
    public func compute(probabilities q: Tensor, targets: [UInt8], annotated: [[Bool]], gradient: Bool = true,
                        gradientInto: Tensor? = nil) -> Result {
        let (n, c, s) = TreeSoftmax.dimensions(q, tree: tree)
        precondition(targets.count == n * s, "targets hold \(targets.count) voxels, probabilities \(q.shape) need \(n * s)")
        precondition(annotated.count == n || annotated.count == 1, "\(annotated.count) annotated masks for \(n) samples")
        precondition(annotated.allSatisfy { $0.count == c }, "annotated masks must have \(c) entries")
        let masks = annotated.count == n ? annotated : Array(repeating: annotated[0], count: n)
        var predicted = Array(repeating: UInt8(0), count: n * s)
        var stats: [SampleStats] = []
        targets.withUnsafeBufferPointer { tp in
            predicted.withUnsafeMutableBufferPointer { pp in
                for i in 0..<n {
                    stats.append(accumulate(q: q.storage + i * c * s, targets: tp.baseAddress! + i * s,
                                            predicted: pp.baseAddress! + i * s, voxels: s, plan: plan(masks[i])))
                }
            }
        }
        let terms = stats.map(\.terms)
        func nanMean(_ xs: [Double]) -> (Double, Int) {
            let ok = xs.filter { !$0.isNaN }
            return (ok.isEmpty ? .nan : ok.reduce(0, +) / Double(ok.count), ok.count)
        }
        let (ce, ceCount) = nanMean(terms.map(\.ce))
        let (dice, diceCount) = nanMean(terms.map(\.dice))
        let (sink, sinkCount) = nanMean(terms.map(\.sinkDice))
        var result = Result(ce: ce, dice: dice, sinkDice: sink, total: ce + dice + sink, perSample: terms,
                            gradLogits: nil, predictedLeaves: predicted)
        guard gradient else { return result }
        if let gradientInto { precondition(gradientInto.shape == q.shape, "gradient tensor \(gradientInto.shape) for \(q.shape)") }
        let grad = gradientInto ?? Tensor(shape: q.shape)
        targets.withUnsafeBufferPointer { tp in
            predicted.withUnsafeBufferPointer { pp in
                for i in 0..<n {
                    let st = stats[i]
                    let w = (ce: st.terms.ce.isNaN ? 0 : 1 / Double(ceCount),
                             dice: st.terms.dice.isNaN ? 0 : 1 / Double(diceCount),
                             sink: st.terms.sinkDice.isNaN ? 0 : 1 / Double(sinkCount))
                    backward(q: q.storage + i * c * s, targets: tp.baseAddress! + i * s, predicted: pp.baseAddress! + i * s,
                             voxels: s, stats: st, weights: w, into: grad.storage + i * c * s)
                }
            }
        }
        result.gradLogits = grad
        return result
    }

    // MARK: per-sample plan and statistics

    /// What a sample's mask implies, as small tables looked up per voxel.
    struct Plan {
        var annotatedClasses: [Int]
        /// For each target class: the annotated classes on its path (its y = 1 entries).
        var targetClasses: [[Int]]
        var sinks: [SinkPlan]
    }

    struct SinkPlan {
        var sink: Int
        /// Per class: the target lies in the subtree of one of the sink's siblings.
        var targetInSibling: [Bool]
        /// Per class: the prediction lies in the subtree of a sibling this dataset does not annotate.
        var predictedInMissingSibling: [Bool]
        /// Per class: the prediction lies in the sink's parent's subtree (always, for a root-level sink).
        var predictedInParent: [Bool]
    }

    struct SampleStats {
        var plan: Plan
        var valid: Int
        var intersection: [Double], targetSum: [Double], predictionSum: [Double]   // per annotated class
        var sinkIntersection: [Double], sinkTargetSum: [Double], sinkPredictionSum: [Double], sinkSiblings: [Int]
        var terms: Terms
    }

    func plan(_ mask: [Bool]) -> Plan {
        let c = tree.count
        let annotatedClasses = (0..<c).filter { mask[$0] }
        let targetClasses = (0..<c).map { t in tree.ancestorsOrSelf[t].filter { mask[$0] } }
        var sinks: [SinkPlan] = []
        if sinkWeight > 0 {
            for sink in tree.sinks {
                let p = tree.parent[sink]
                let siblings = (p < 0 ? tree.rootChildren : tree.children[p]).filter { $0 != sink }
                let missing = siblings.filter { !mask[$0] }
                sinks.append(SinkPlan(
                    sink: sink,
                    targetInSibling: (0..<c).map { t in siblings.contains { tree.isInSubtree(t, of: $0) } },
                    predictedInMissingSibling: (0..<c).map { t in missing.contains { tree.isInSubtree(t, of: $0) } },
                    predictedInParent: (0..<c).map { t in p < 0 || tree.isInSubtree(t, of: p) }))
            }
        }
        return Plan(annotatedClasses: annotatedClasses, targetClasses: targetClasses, sinks: sinks)
    }

    /// Pass 1: leaf argmax, CE sum and the Dice sums, in parallel over blocks.
    func accumulate(q: UnsafeMutablePointer<Float>, targets: UnsafePointer<UInt8>, predicted: UnsafeMutablePointer<UInt8>,
                    voxels s: Int, plan: Plan) -> SampleStats {
        let a = plan.annotatedClasses, na = a.count, ns = plan.sinks.count, c = tree.count
        let lock = NSLock()
        var valid = 0, ceSum = 0.0
        var inter = [Double](repeating: 0, count: na), tsum = inter, psum = inter
        var sInter = [Double](repeating: 0, count: ns), sT = sInter, sP = sInter
        var sSib = [Int](repeating: 0, count: ns)
        let eps = Float(epsilon), leaves = tree.leaves
        let slotOf: [Int] = { var m = [Int](repeating: -1, count: c); for (i, k) in a.enumerated() { m[k] = i }; return m }()
        let block = TreeSoftmax.block
        let blocks = (s + block - 1) / block
        for t in 0..<s where targets[t] != 255 { precondition(Int(targets[t]) < c, "target class \(targets[t]) at voxel \(t) but the tree has \(c) classes; map label values through DatasetLabels.table") }
        // The annotated classes on each target's path as flat arrays (class, slot), indexed by start[t].
        var start: [Int] = [0], flatClass: [Int] = [], flatSlot: [Int] = []
        for t in 0..<c {
            for k in plan.targetClasses[t] { flatClass.append(k); flatSlot.append(slotOf[k]) }
            start.append(flatClass.count)
        }
        let leaves32 = leaves.map(Int32.init)
        Parallel.forRanges(blocks, oversubscribe: 4) { range in
            var lValid = 0, lCE = 0.0
            var lInter = [Double](repeating: 0, count: na), lT = lInter, lP = lInter
            var lsI = [Double](repeating: 0, count: ns), lsT = lsI, lsP = lsI
            var lsSib = [Int](repeating: 0, count: ns)
            let qb = UnsafeMutablePointer<Float>.allocate(capacity: c * block + 3 * block)
            qb.initialize(repeating: 0, count: c * block + 3 * block)
            defer { qb.deallocate() }
            let validF = qb + c * block, argmaxScratch = validF + block
            start.withUnsafeBufferPointer { start in
            flatClass.withUnsafeBufferPointer { flatClass in
            flatSlot.withUnsafeBufferPointer { flatSlot in
            leaves32.withUnsafeBufferPointer { leaves32 in
            lInter.withUnsafeMutableBufferPointer { lInter in
            lT.withUnsafeMutableBufferPointer { lT in
            for b in range {
                let lo = b * block, len = min(s, lo + block) - lo
                // A dense copy of the block: class k's voxels at qb[k * block + v] (see TreeSoftmax.forEachBlock).
                TreeSoftmax.gather(q + lo, stride: s, classes: c, length: len, into: qb)
                LeafArgmax.block(qb, stride: block, leaves: leaves32, length: len, scratch: argmaxScratch, into: predicted + lo)
                // Valid-voxel weights; the tail of a partial block weighs 0.
                for v in 0..<block { validF[v] = v < len && targets[lo + v] != 255 ? 1 : 0 }
                // Prediction sums over valid voxels.
                for (i, k) in a.enumerated() {
                    let o = qb + k * block
                    var acc = Vec8(repeating: 0)
                    for j in Swift.stride(from: 0, to: block, by: 8) { acc += load8(o + j) * load8(validF + j) }
                    lP[i] += Double(acc.sum())
                }
                for v in 0..<len {
                    let t = Int(targets[lo + v])
                    if t == 255 { continue }
                    lValid += 1
                    for e in start[t]..<start[t + 1] {
                        let p = qb[flatClass[e] &* block &+ v]
                        lCE -= Double(Foundation.log(Swift.min(Swift.max(p, eps), 1 - eps)))
                        let i = flatSlot[e]
                        lInter[i] += Double(p)
                        lT[i] += 1
                    }
                    if ns == 0 { continue }
                    let pred = Int(predicted[lo + v])
                    for (j, sp) in plan.sinks.enumerated() {
                        let inSibling = sp.targetInSibling[t] || sp.predictedInMissingSibling[pred]
                        if inSibling { lsSib[j] += 1 }
                        let p = Double(qb[sp.sink * block + v])
                        lsP[j] += p
                        if sp.predictedInParent[pred] && !inSibling { lsI[j] += p; lsT[j] += 1 }
                    }
                }
            }
            }}}}}}
            lock.lock()
            valid += lValid; ceSum += lCE
            for i in 0..<na { inter[i] += lInter[i]; tsum[i] += lT[i]; psum[i] += lP[i] }
            for j in 0..<ns { sInter[j] += lsI[j]; sT[j] += lsT[j]; sP[j] += lsP[j]; sSib[j] += lsSib[j] }
            lock.unlock()
        }
        let ce = valid == 0 ? Double.nan : ceSum / Double(valid)
        var dice = Double.nan
        if na > 0 {
            dice = (0..<na).reduce(0.0) { $0 + 1 - 2 * inter[$1] / (tsum[$1] + psum[$1] + smooth) } / Double(na)
        }
        let active = (0..<ns).filter { sSib[$0] > 0 }
        var sinkDice = 0.0
        if !active.isEmpty {
            sinkDice = sinkWeight * active.reduce(0.0) { $0 + 1 - (2 * sInter[$1] + smooth) / (sT[$1] + sP[$1] + smooth) } / Double(active.count)
        }
        return SampleStats(plan: plan, valid: valid, intersection: inter, targetSum: tsum, predictionSum: psum,
                           sinkIntersection: sInter, sinkTargetSum: sT, sinkPredictionSum: sP, sinkSiblings: sSib,
                           terms: Terms(ce: ce, dice: dice, sinkDice: sinkDice))
    }

    /// Pass 2: dL/dq per voxel, times q, then the tree softmax backward, block by block.
    func backward(q: UnsafeMutablePointer<Float>, targets: UnsafePointer<UInt8>, predicted: UnsafePointer<UInt8>, voxels s: Int,
                  stats st: SampleStats, weights w: (ce: Double, dice: Double, sink: Double), into d: UnsafeMutablePointer<Float>) {
        let plan = st.plan, a = plan.annotatedClasses, na = a.count, c = tree.count
        // Dice: dD/dq_c(v) = (2 I_c - 2 y_c(v) den_c) / (|A| den_c^2) = constant_c + y_c(v) * slope_c.
        var constant = [Float](repeating: 0, count: c), slope = [Float](repeating: 0, count: c)
        if na > 0 && w.dice > 0 {
            for (i, k) in a.enumerated() {
                let den = st.targetSum[i] + st.predictionSum[i] + smooth
                constant[k] = Float(w.dice * 2 * st.intersection[i] / (Double(na) * den * den))
                slope[k] = Float(-w.dice * 2 / (Double(na) * den))
            }
        }
        let ceScale = st.valid > 0 ? Float(w.ce / Double(st.valid)) : 0
        let eps = Float(epsilon)
        // Sinks: dS/dq_s(v) = weight / |active| * ((2 I + smooth) / den^2 - 2 t(v) / den).
        let active = plan.sinks.indices.filter { st.sinkSiblings[$0] > 0 }
        var sinkConstant: [Float] = [], sinkSlope: [Float] = []
        for j in active {
            let den = st.sinkTargetSum[j] + st.sinkPredictionSum[j] + smooth
            let scale = w.sink * sinkWeight / Double(active.count)
            sinkConstant.append(Float(scale * (2 * st.sinkIntersection[j] + smooth) / (den * den)))
            sinkSlope.append(Float(-scale * 2 / den))
        }
        let block = TreeSoftmax.block
        let tree = self.tree
        TreeSoftmax.forEachBlock(samples: 1, classes: c + 1, voxels: s) { _, lo, len, qb, db in
            let validF = qb + c * block
            TreeSoftmax.gather(q + lo, stride: s, classes: c, length: len, into: qb)
            for v in 0..<block { validF[v] = v < len && targets[lo + v] != 255 ? 1 : 0 }
            for k in 0..<c {
                let o = db + k * block
                let ck = Vec8(repeating: constant[k])
                for j in Swift.stride(from: 0, to: block, by: 8) { store8(ck * load8(validF + j), o + j) }
            }
            for v in 0..<len {
                let t = Int(targets[lo + v])
                if t == 255 { continue }
                for k in plan.targetClasses[t] {
                    let p = qb[k * block + v]
                    var g = slope[k]
                    // torch.clip passes the gradient on [min, max] (bounds included).
                    if p >= eps && p <= 1 - eps { g -= ceScale / p }
                    db[k * block + v] += g
                }
                if !active.isEmpty {
                    let pred = Int(predicted[lo + v])
                    for (i, j) in active.enumerated() {
                        let sp = plan.sinks[j]
                        let target = sp.predictedInParent[pred] && !(sp.targetInSibling[t] || sp.predictedInMissingSibling[pred])
                        db[sp.sink * block + v] += sinkConstant[i] + (target ? sinkSlope[i] : 0)
                    }
                }
            }
            TreeSoftmax.multiply(db, by: qb, count: c * block)
            TreeSoftmax.backwardBlock(qb, db, tree: tree)
            TreeSoftmax.scatter(db, classes: c, length: len, into: d + lo, stride: s)
        }
    }
}
