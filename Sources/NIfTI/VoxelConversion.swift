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
        let n = voxels.count
        var bad: Int? = nil
        let size = datatype.byteSize
        let scaled = slope != 1 || intercept != 0
        let range = datatype.range
        let out = [UInt8](unsafeUninitializedCapacity: n * size) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            @inline(__always) func rawValue(_ i: Int) -> Double {
                let v = Double(voxels[i])
                return scaled ? (v - intercept) / slope : v
            }
            @inline(__always) func integer(_ i: Int) -> Double? {
                let r = rawValue(i).rounded(.toNearestOrEven)
                guard r.isFinite, range.contains(r) else { return nil }
                return r
            }
            switch datatype {
            case .float32:
                for i in 0..<n {
                    let v: Float = scaled ? Float(rawValue(i)) : voxels[i]
                    raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            case .float64:
                for i in 0..<n {
                    raw.storeBytes(of: rawValue(i).bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self)
                }
            default:
                for i in 0..<n {
                    guard let r = integer(i) else { bad = i; break }
                    switch datatype {
                    case .uint8: raw.storeBytes(of: UInt8(r), toByteOffset: i, as: UInt8.self)
                    case .int8: raw.storeBytes(of: Int8(r), toByteOffset: i, as: Int8.self)
                    case .uint16: raw.storeBytes(of: UInt16(r).littleEndian, toByteOffset: i * 2, as: UInt16.self)
                    case .int16: raw.storeBytes(of: Int16(r).littleEndian, toByteOffset: i * 2, as: Int16.self)
                    case .uint32: raw.storeBytes(of: UInt32(r).littleEndian, toByteOffset: i * 4, as: UInt32.self)
                    case .int32: raw.storeBytes(of: Int32(r).littleEndian, toByteOffset: i * 4, as: Int32.self)
                    case .uint64: raw.storeBytes(of: UInt64(r).littleEndian, toByteOffset: i * 8, as: UInt64.self)
                    case .int64: raw.storeBytes(of: Int64(r).littleEndian, toByteOffset: i * 8, as: Int64.self)
                    case .float32, .float64: break
                    }
                }
            }
            if bad != nil { raw.initializeMemory(as: UInt8.self, repeating: 0) }
            initialized = n * size
        }
        if let i = bad { throw NIfTIError.valueOutOfRange(path: path, value: voxels[i], index: i, datatype: datatype) }
        return out
    }
}
