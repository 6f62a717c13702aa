// Clean-up of a class map: keep each class's largest connected piece (26-connectivity); voxels of the
// smaller pieces take the class most common among their kept neighbours.

public enum LargestComponent {
    /// Keeps, for every class `clean[c]` is true for, only its largest 26-connected component. Removed
    /// voxels are refilled from their surroundings: repeatedly, each takes the most common class among its
    /// 26 neighbours that are settled (kept or already refilled); voxels with no settled neighbour after
    /// that get `fallback`. `classes` is [n0, n1, n2], axis 0 fastest. Returns the number of voxels changed.
    @discardableResult
    public static func clean(_ classes: inout [UInt8], shape: [Int], clean: [Bool], fallback: UInt8 = 0) -> Int {
        let (n0, n1, n2) = (shape[0], shape[1], shape[2])
        let count = n0 * n1 * n2
        precondition(classes.count == count && clean.count == 256, "class map of \(classes.count) voxels for \(shape)")
        var component = [Int32](repeating: -1, count: count)
        var sizes: [Int] = [], classOfComponent: [UInt8] = []
        var stack: [Int] = []
        @inline(__always) func neighbours(_ p: Int, _ body: (Int) -> Void) {
            let i = p % n0, j = (p / n0) % n1, k = p / (n0 * n1)
            for dk in -1...1 {
                let kk = k + dk
                if kk < 0 || kk >= n2 { continue }
                for dj in -1...1 {
                    let jj = j + dj
                    if jj < 0 || jj >= n1 { continue }
                    for di in -1...1 {
                        let ii = i + di
                        if ii < 0 || ii >= n0 || (di == 0 && dj == 0 && dk == 0) { continue }
                        body(ii + n0 * (jj + n1 * kk))
                    }
                }
            }
        }
        for start in 0..<count where component[start] < 0 && clean[Int(classes[start])] {
            let c = classes[start], id = Int32(sizes.count)
            var size = 0
            component[start] = id
            stack.append(start)
            while let p = stack.popLast() {
                size += 1
                neighbours(p) { q in
                    if component[q] < 0 && classes[q] == c { component[q] = id; stack.append(q) }
                }
            }
            sizes.append(size)
            classOfComponent.append(c)
        }
        // The largest component of each class (the first found wins ties).
        var largest = [Int32](repeating: -1, count: 256)
        for (id, size) in sizes.enumerated() {
            let c = Int(classOfComponent[id])
            if largest[c] < 0 || size > sizes[Int(largest[c])] { largest[c] = Int32(id) }
        }
        var removed: [Int] = []
        var settled = [Bool](repeating: true, count: count)
        for p in 0..<count where component[p] >= 0 && component[p] != largest[Int(classes[p])] {
            removed.append(p)
            settled[p] = false
        }
        var pending = removed
        while !pending.isEmpty {
            var next: [Int] = [], assigned: [(Int, UInt8)] = []
            for p in pending {
                var votes = [Int](repeating: 0, count: 256)
                var best = -1
                neighbours(p) { q in
                    guard settled[q] else { return }
                    let v = Int(classes[q])
                    votes[v] += 1
                    if best < 0 || votes[v] > votes[best] || (votes[v] == votes[best] && v < best) { best = v }
                }
                if best >= 0 { assigned.append((p, UInt8(best))) } else { next.append(p) }
            }
            if assigned.isEmpty {
                for p in next { classes[p] = fallback }
                break
            }
            // Assign after the sweep so the result does not depend on the visiting order within a sweep.
            for (p, v) in assigned { classes[p] = v; settled[p] = true }
            pending = next
        }
        return removed.count
    }
}
