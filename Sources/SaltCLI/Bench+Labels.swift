// `salt bench labels`: the per-step label kernels on a training-sized patch (tree softmax forward and
// backward, SALT loss with gradient, leaf argmax, confusion counts), on SALT's 145-class tree or a tree
// read from a data root.
import Foundation
import Labels
import Tensor

enum LabelsBench {
    static let suite = BenchSuite(name: "labels", summary: "tree softmax, SALT loss, argmax, confusion counts on a patch") { args in
        let size = try args.int("--size", default: 64)
        let batch = try args.int("--batch", default: 1)
        let repeats = try args.int("--repeats", default: 3)
        let root = try args.option("--labels")
        try args.finish()
        let tree: LabelTree
        if let root {
            tree = try LabelSet.discover(root: URL(fileURLWithPath: root)).tree
        } else {
            tree = try LabelSet.load(datasets: ["saros+totalseg", "word"].map {
                URL(fileURLWithPath: "labels").appendingPathComponent($0)
            }).tree
        }
        try run(tree: tree, size: size, batch: batch, repeats: repeats)
    }

    static func run(tree: LabelTree, size: Int, batch: Int, repeats: Int) throws {
        let c = tree.count, s = size * size * size
        print("labels bench: \(batch) x \(c) classes x \(size)^3 voxels, \(Parallel.threads) threads, best of \(repeats)")
        let shape = [batch, c, size, size, size]
        let logits = Tensor(shape: shape)
        var state: UInt64 = 0x1234_5678
        for i in 0..<logits.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            logits[flat: i] = Float(Int64(bitPattern: state >> 11) % 6000) / 1000
        }
        var targets = [UInt8](repeating: 0, count: batch * s)
        for i in targets.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let r = Int(state >> 33) % (tree.leaves.count + 1)
            targets[i] = r == tree.leaves.count ? 255 : UInt8(tree.leaves[r])
        }
        let mask = [Bool](repeating: true, count: c)
        let bytes = Double(logits.count * 4)
        // Wall time and process CPU time (the CPU figure stays meaningful on a busy machine).
        func cpuSeconds() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        func time(_ name: String, passes: Double, _ body: () -> Void) {
            var best = Double.infinity, bestCPU = Double.infinity
            for _ in 0..<repeats {
                let t0 = DispatchTime.now().uptimeNanoseconds, c0 = cpuSeconds()
                body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                bestCPU = min(bestCPU, cpuSeconds() - c0)
            }
            let rate = Double(batch * s) / bestCPU / 1e6
            print("  \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(format: "wall %7.1f ms  cpu %7.1f ms  %6.1f Mvoxel/cpu-s  %5.2f GB/cpu-s (%.0f tensor passes)", best * 1e3, bestCPU * 1e3, rate, passes * bytes / bestCPU / 1e9, passes))")
        }
        var probs = Tensor(shape: [1])
        time("tree softmax forward", passes: 2) { probs = TreeSoftmax.forward(logits, tree: tree) }
        let reused = Tensor(shape: shape)
        time("tree softmax forward into", passes: 2) { TreeSoftmax.forward(logits, tree: tree, into: reused) }
        time("tree softmax backward", passes: 3) { _ = TreeSoftmax.backward(probabilities: probs, gradOutput: logits, tree: tree) }
        time("tree softmax backward into", passes: 3) { TreeSoftmax.backward(probabilities: probs, gradOutput: logits, tree: tree, into: reused) }
        let loss = SaltLoss(tree: tree)
        var result: SaltLoss.Result?
        time("SALT loss value only", passes: 1) { result = loss.compute(probabilities: probs, targets: targets, annotated: [mask], gradient: false) }
        time("SALT loss + grad logits", passes: 4) { result = loss.compute(probabilities: probs, targets: targets, annotated: [mask]) }
        time("SALT loss + grad into", passes: 4) { result = loss.compute(probabilities: probs, targets: targets, annotated: [mask], gradientInto: reused) }
        time("leaf argmax", passes: 1) { _ = LeafArgmax.compute(probs, tree: tree) }
        let predicted = result!.predictedLeaves
        time("confusion counts", passes: 0) { _ = ConfusionCounts.compute(predicted: predicted, target: targets, annotated: mask, tree: tree) }
        print(String(format: "  loss: ce %.4f dice %.4f total %.4f", result!.ce, result!.dice, result!.total))
    }
}
