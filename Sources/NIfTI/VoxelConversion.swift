// Raw voxel bytes <-> Float voxel values. Reading applies scl_slope/scl_inter (computed in Double, as
// nibabel does, then stored as Float); writing undoes them and rounds to the nearest integer (ties to
// even, like numpy's rint) for integer datatypes, refusing values the datatype cannot hold.

enum VoxelConversion {
    /// Converts `count` raw values of `datatype` (stored big-endian when `bigEndian`) to scaled Floats.
    static func floats(from raw: UnsafeRawBufferPointer, datatype: NIfTIDataType, count: Int,
                       bigEndian: Bool, slope: Double, intercept: Double) -> [Float] {
        precondition(raw.count >= count * datatype.byteSize, "raw buffer of \(raw.count) bytes for \(count) x \(datatype)")
        let swap = bigEndian != (1.bigEndian == 1)
        switch datatype {
        case .uint8: return convert(raw, count, UInt8.self, swap, slope, intercept) { Double($0) }
        case .int8: return convert(raw, count, Int8.self, swap, slope, intercept) { Double($0) }
        case .uint16: return convert(raw, count, UInt16.self, swap, slope, intercept) { Double($0) }
        case .int16: return convert(raw, count, Int16.self, swap, slope, intercept) { Double($0) }
        case .uint32: return convert(raw, count, UInt32.self, swap, slope, intercept) { Double($0) }
        case .int32: return convert(raw, count, Int32.self, swap, slope, intercept) { Double($0) }
        case .uint64: return convert(raw, count, UInt64.self, swap, slope, intercept) { Double($0) }
        case .int64: return convert(raw, count, Int64.self, swap, slope, intercept) { Double($0) }
        case .float32: return convert(raw, count, UInt32.self, swap, slope, intercept) { Double(Float(bitPattern: $0)) }
        case .float64: return convert(raw, count, UInt64.self, swap, slope, intercept) { Double(bitPattern: $0) }
        }
    }

    @inline(__always)
    private static func convert<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _ count: Int, _: T.Type, _ swap: Bool,
                                                      _ slope: Double, _ intercept: Double,
                                                      _ value: (T) -> Double) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            let size = MemoryLayout<T>.size
            let scaled = slope != 1 || intercept != 0
            for i in 0..<count {
                var bits = raw.loadUnaligned(fromByteOffset: i * size, as: T.self)
                if swap { bits = bits.byteSwapped }
                let v = value(bits)
                out[i] = scaled ? Float(v * slope + intercept) : Float(v)
            }
            initialized = count
        }
    }

    /// Converts Float voxels to raw little-endian bytes of `datatype`, undoing slope/intercept. Throws
    /// `valueOutOfRange` (naming `path`) for NaN/infinite values in an integer type or values out of range.
    static func bytes(from voxels: [Float], datatype: NIfTIDataType, slope: Double, intercept: Double,
                      path: String) throws -> [UInt8] {
        precondition(1.littleEndian == 1, "raw voxel bytes are written in the machine's (little-endian) order")
        let n = voxels.count
        var bad: Int? = nil
        let out = [UInt8](unsafeUninitializedCapacity: n * datatype.byteSize) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            voxels.withUnsafeBufferPointer { src in
                switch datatype {
                case .uint8: bad = storeIntegers(src, raw, UInt8.self, datatype.range, slope, intercept)
                case .int8: bad = storeIntegers(src, raw, Int8.self, datatype.range, slope, intercept)
                case .uint16: bad = storeIntegers(src, raw, UInt16.self, datatype.range, slope, intercept)
                case .int16: bad = storeIntegers(src, raw, Int16.self, datatype.range, slope, intercept)
                case .uint32: bad = storeIntegers(src, raw, UInt32.self, datatype.range, slope, intercept)
                case .int32: bad = storeIntegers(src, raw, Int32.self, datatype.range, slope, intercept)
                case .uint64: bad = storeIntegers(src, raw, UInt64.self, datatype.range, slope, intercept)
                case .int64: bad = storeIntegers(src, raw, Int64.self, datatype.range, slope, intercept)
                case .float32:
                    // storeBytes: the buffer stays bound to UInt8 (no rebinding of the array's memory).
                    if slope == 1 && intercept == 0 {
                        for i in 0..<n { raw.storeBytes(of: src[i], toByteOffset: 4 * i, as: Float.self) }
                    } else {
                        for i in 0..<n { raw.storeBytes(of: Float((Double(src[i]) - intercept) / slope), toByteOffset: 4 * i, as: Float.self) }
                    }
                case .float64:
                    for i in 0..<n { raw.storeBytes(of: (Double(src[i]) - intercept) / slope, toByteOffset: 8 * i, as: Double.self) }
                }
            }
            if bad != nil { raw.initializeMemory(as: UInt8.self, repeating: 0) }
            initialized = n * datatype.byteSize
        }
        if let i = bad { throw NIfTIError.valueOutOfRange(path: path, value: voxels[i], index: i, datatype: datatype) }
        return out
    }

    /// Rounds (ties to even, like numpy's rint) and stores; returns the index of the first value out
    /// of `range` (or NaN), or nil.
    private static func storeIntegers<T: FixedWidthInteger>(_ src: UnsafeBufferPointer<Float>, _ raw: UnsafeMutableRawBufferPointer,
                                                            _: T.Type, _ range: ClosedRange<Double>,
                                                            _ slope: Double, _ intercept: Double) -> Int? {
        let size = MemoryLayout<T>.size
        let scaled = slope != 1 || intercept != 0
        let lo = range.lowerBound, hi = range.upperBound
        for i in 0..<src.count {
            let v = Double(src[i])
            let r = (scaled ? (v - intercept) / slope : v).rounded(.toNearestOrEven)
            guard r >= lo && r <= hi else { return i }  // false for NaN too
            // Through Int64 (a single concrete conversion; T(r) from Double is slow generic code).
            let bits = r < 9_223_372_036_854_775_808.0 ? Int64(r) : Int64(bitPattern: UInt64(r))
            raw.storeBytes(of: T(truncatingIfNeeded: bits), toByteOffset: size * i, as: T.self)
        }
        return nil
    }
}
