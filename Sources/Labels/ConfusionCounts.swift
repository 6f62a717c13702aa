// Hierarchical confusion counts (SALT's `_compute_confusion_matrix`): for each class, true positives,
// false positives and false negatives of its node mask (a voxel is in a class when that class lies on
// the path of its target / predicted class), over voxels whose target is not 255. Rows of classes the
// dataset does not annotate are zero.
import Foundation
import Tensor

public enum ConfusionCounts {
    /// counts[c] = [tp, fp, fn]. predicted, target: class indices, same length (predicted 255 = no class).
    /// One pass over the voxels builds a (target, prediction) pair histogram; the per-class counts come
    /// from the histogram, so the cost per voxel does not grow with tree depth.
    public static func compute(predicted: [UInt8], target: [UInt8], annotated: [Bool], tree: LabelTree) -> [[Int]] {
        precondition(predicted.count == target.count, "\(predicted.count) predictions for \(target.count) targets")
        let c = tree.count
        precondition(annotated.count == c, "annotated mask has \(annotated.count) entries for \(c) classes")
        let width = 256
        var pairs = [Int](repeating: 0, count: width * width)
        let lockPairs = NSLockBox()
        predicted.withUnsafeBufferPointer { pp in
            target.withUnsafeBufferPointer { tp in
                Parallel.forRanges(target.count) { range in
                    var local = [Int](repeating: 0, count: width * width)
                    for v in range where tp[v] != 255 { local[Int(tp[v]) * width + Int(pp[v])] += 1 }
                    lockPairs.run { for i in 0..<local.count where local[i] != 0 { pairs[i] += local[i] } }
                }
            }
        }
        var counts = [[Int]](repeating: [0, 0, 0], count: c)
        for t in 0..<width {
            for p in 0..<width {
                let n = pairs[t * width + p]
                if n == 0 { continue }
                precondition(t < c, "target class \(t) but the tree has \(c) classes")
                precondition(p < c || p == 255, "predicted class \(p) but the tree has \(c) classes")
                let onTarget = tree.ancestorsOrSelf[t]
                let onPrediction = p == 255 ? [] : tree.ancestorsOrSelf[p]
                for k in onTarget where annotated[k] { counts[k][onPrediction.contains(k) ? 0 : 2] += n }
                for k in onPrediction where annotated[k] && !onTarget.contains(k) { counts[k][1] += n }
            }
        }
        return counts
    }

    /// Plain reference: per class, per voxel, straight from the definition.
    public static func reference(predicted: [UInt8], target: [UInt8], annotated: [Bool], tree: LabelTree) -> [[Int]] {
        (0..<tree.count).map { k in
            guard annotated[k] else { return [0, 0, 0] }
            var tp = 0, fp = 0, fn = 0
            for v in target.indices where target[v] != 255 {
                let y = tree.isInSubtree(Int(target[v]), of: k)
                let yhat = predicted[v] != 255 && tree.isInSubtree(Int(predicted[v]), of: k)
                if y && yhat { tp += 1 } else if yhat { fp += 1 } else if y { fn += 1 }
            }
            return [tp, fp, fn]
        }
    }

    /// Adds counts (e.g. over the batches of an epoch).
    public static func add(_ a: [[Int]], _ b: [[Int]]) -> [[Int]] {
        precondition(a.count == b.count)
        return zip(a, b).map { zip($0, $1).map { $0 + $1 } }
    }

    /// Dice per class from counts: 2 tp / (2 tp + fp + fn); NaN where all are zero.
    public static func dice(_ counts: [[Int]]) -> [Double] {
        counts.map { r in
            let d = Double(2 * r[0] + r[1] + r[2])
            return d == 0 ? .nan : Double(2 * r[0]) / d
        }
    }
}

/// A lock around a closure (merging per-thread partial results).
final class NSLockBox: @unchecked Sendable {
    private let lock = NSLock()
    func run(_ body: () -> Void) { lock.lock(); body(); lock.unlock() }
}
