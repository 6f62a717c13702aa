// Channel concatenation and split (the skip connections of a U-Net) and elementwise sums.
// Volumes [N, C, D, H, W]: one sample's channels are contiguous, so both are block copies.

extension Tensor {
    /// Concatenates tensors along axis 1 (channels); all other axes must agree.
    public static func concatenateChannels(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatenateChannels of nothing")
        let first = parts[0]
        for p in parts {
            precondition(p.rank == first.rank && p.shape[0] == first.shape[0] && Array(p.shape[2...]) == Array(first.shape[2...]),
                         "concatenateChannels: shapes \(parts.map(\.shape)) differ outside axis 1")
        }
        let n = first.shape[0], plane = first.shape[2...].reduce(1, *)
        let total = parts.reduce(0) { $0 + $1.shape[1] }
        var shape = first.shape; shape[1] = total
        let y = Tensor(uninitializedShape: shape)
        Parallel.for(n * parts.count) { job in
            let b = job / parts.count, k = job % parts.count
            let offset = parts[..<k].reduce(0) { $0 + $1.shape[1] }
            let p = parts[k], size = p.shape[1] * plane
            (y.storage + (b * total + offset) * plane).update(from: p.storage + b * size, count: size)
        }
        return y
    }

    /// Splits along axis 1 into parts of the given channel counts (the adjoint of concatenateChannels).
    public func splitChannels(_ counts: [Int]) -> [Tensor] {
        precondition(counts.reduce(0, +) == shape[1], "splitChannels \(counts) of a tensor with \(shape[1]) channels")
        let n = shape[0], plane = shape[2...].reduce(1, *), total = shape[1]
        var offsets = [0]; for c in counts { offsets.append(offsets.last! + c) }
        let parts = counts.map { c -> Tensor in var s = shape; s[1] = c; return Tensor(uninitializedShape: s) }
        Parallel.for(n * counts.count) { job in
            let b = job / counts.count, k = job % counts.count, size = counts[k] * plane
            (parts[k].storage + b * size).update(from: storage + (b * total + offsets[k]) * plane, count: size)
        }
        return parts
    }

    /// self += other, elementwise.
    public func add(_ other: Tensor) {
        precondition(shape == other.shape, "add: shapes \(shape) and \(other.shape) differ")
        let a = storage, b = other.storage
        Parallel.forRanges(count, oversubscribe: 2) { r in for i in r { a[i] += b[i] } }
    }

    /// a + b as a new tensor (plain reference for `add`).
    public static func referenceSum(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "sum: shapes \(a.shape) and \(b.shape) differ")
        let y = Tensor(shape: a.shape)
        for i in 0..<a.count { y.storage[i] = a.storage[i] + b.storage[i] }
        return y
    }

    /// Sum of x * y in Double (for losses and checks).
    public func dot(_ other: Tensor) -> Double {
        precondition(shape == other.shape, "dot: shapes \(shape) and \(other.shape) differ")
        var s = 0.0
        for i in 0..<count { s += Double(storage[i]) * Double(other.storage[i]) }
        return s
    }
}
