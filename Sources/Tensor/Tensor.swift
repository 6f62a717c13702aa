// Tensor: dense float32 arrays for the compute core.
// Layout: row-major, last axis fastest. Volumes are [N, C, D, H, W]; D, H, W are the voxel axes of the
// canonical grid (Segmentation owns the mapping from a NIfTI grid to these axes).
//
// This target owns the tensor storage, the thread pool and every numeric kernel (each fast kernel with a
// plain reference kernel beside it). It is the only target that calls OpenBLAS.

/// A dense float32 array. A reference type so layers can pass activations and gradients around without
/// copying; hot loops reach `storage` directly. Use `copy()` for an independent tensor.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    /// Owned, 64-byte aligned, `count` floats.
    public let storage: UnsafeMutablePointer<Float>

    /// A tensor of zeros.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.storage = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        storage.initialize(repeating: 0, count: max(count, 1))
    }

    /// A tensor whose elements are not initialised: for outputs a kernel overwrites entirely (skips a
    /// memset and the page faults of touching the memory twice).
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.storage = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    public convenience init(shape: [Int], repeating value: Float) {
        self.init(shape: shape)
        storage.update(repeating: value, count: count)
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape) (\(count) elements)")
        values.withUnsafeBufferPointer { storage.update(from: $0.baseAddress!, count: count) }
    }

    deinit { storage.deallocate() }

    public var rank: Int { shape.count }

    /// The elements as a Swift array (a copy).
    public var array: [Float] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// A view of the elements for loops that want bounds checks in debug builds.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: storage, count: count) }

    public subscript(flat index: Int) -> Float {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.storage.update(from: storage, count: count)
        return t
    }

    public func fill(_ value: Float) { storage.update(repeating: value, count: count) }
}
