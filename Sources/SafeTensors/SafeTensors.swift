// SafeTensors: the safetensors file format (Hugging Face), read and written in plain Swift.
// Layout: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}} plus an
// optional "__metadata__" of string pairs, then the raw little-endian data. Used for checkpoints (weights
// move between salt and PyTorch) and for the reference values in ../shared/golden.
import Foundation

public enum SafeTensorsError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missing(path: String, name: String)
    case unsupportedDType(path: String, name: String, dtype: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read safetensors file: \(reason)"
        case let .malformed(path, reason): return "\(path): not a valid safetensors file: \(reason)"
        case let .missing(path, name): return "\(path): no tensor named '\(name)'"
        case let .unsupportedDType(path, name, dtype): return "\(path): tensor '\(name)' has dtype \(dtype), which salt does not read"
        }
    }
}

/// One array of a safetensors file, converted to Double for exact comparisons (F64 stays exact).
public struct SafeTensor: Sendable {
    public var dtype: String
    public var shape: [Int]
    public var values: [Double]

    public init(dtype: String, shape: [Int], values: [Double]) {
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    public var floats: [Float] { values.map { Float($0) } }
    public var ints: [Int] { values.map { Int($0) } }
}

/// A whole safetensors file in memory.
public struct SafeTensorsFile: Sendable {
    public var tensors: [String: SafeTensor]
    public var metadata: [String: String]

    public init(tensors: [String: SafeTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public var names: [String] { tensors.keys.sorted() }

    public subscript(name: String) -> SafeTensor? { tensors[name] }

    /// Reads every tensor of the file at `path`.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError.unreadable(path: path, reason: "missing or not readable")
        }
        try self.init(data: data, path: path)
    }

    public init(data: Data, path: String = "<memory>") throws {
        guard data.count >= 8 else { throw SafeTensorsError.malformed(path: path, reason: "shorter than its 8-byte header length") }
        let bytes = [UInt8](data)
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else {
            throw SafeTensorsError.malformed(path: path, reason: "header length \(n) exceeds the file size \(bytes.count)")
        }
        let headerEnd = 8 + Int(n)
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) as? [String: Any] else {
            throw SafeTensorsError.malformed(path: path, reason: "header is not a JSON object")
        }
        var tensors: [String: SafeTensor] = [:]
        var metadata: [String: String] = [:]
        for (name, entry) in json {
            if name == "__metadata__" {
                for (k, v) in (entry as? [String: Any]) ?? [:] { metadata[k] = "\(v)" }
                continue
            }
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shape = (e["shape"] as? [NSNumber])?.map({ $0.intValue }),
                  let offsets = (e["data_offsets"] as? [NSNumber])?.map({ $0.intValue }), offsets.count == 2 else {
                throw SafeTensorsError.malformed(path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
            }
            let start = headerEnd + offsets[0], end = headerEnd + offsets[1]
            guard start <= end, end <= bytes.count else {
                throw SafeTensorsError.malformed(path: path, reason: "entry '\(name)' points outside the file")
            }
            let count = shape.reduce(1, *)
            let values = try Self.decode(bytes[start..<end], dtype: dtype, count: count, name: name, path: path)
            tensors[name] = SafeTensor(dtype: dtype, shape: shape, values: values)
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    public func tensor(_ name: String, path: String = "<safetensors>") throws -> SafeTensor {
        guard let t = tensors[name] else { throw SafeTensorsError.missing(path: path, name: name) }
        return t
    }

    static func byteWidth(_ dtype: String) -> Int? {
        switch dtype {
        case "F64", "I64", "U64": return 8
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "I8", "U8", "BOOL": return 1
        default: return nil
        }
    }

    static func decode(_ slice: ArraySlice<UInt8>, dtype: String, count: Int, name: String, path: String) throws -> [Double] {
        guard let width = byteWidth(dtype), dtype != "F16", dtype != "BF16" else {
            throw SafeTensorsError.unsupportedDType(path: path, name: name, dtype: dtype)
        }
        guard slice.count == count * width else {
            throw SafeTensorsError.malformed(path: path, reason: "entry '\(name)' has \(slice.count) bytes for \(count) values of \(dtype)")
        }
        var out = [Double](repeating: 0, count: count)
        let base = slice.startIndex
        slice.withUnsafeBytes { raw in
            for i in 0..<count {
                let o = i * width
                switch dtype {
                case "F64": out[i] = Double(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian)
                case "F32": out[i] = Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian))
                case "I64": out[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                case "U64": out[i] = Double(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                case "I32": out[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                case "U32": out[i] = Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                case "I16": out[i] = Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                case "U16": out[i] = Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                case "I8": out[i] = Double(raw.load(fromByteOffset: o, as: Int8.self))
                default: out[i] = Double(raw.load(fromByteOffset: o, as: UInt8.self))
                }
            }
        }
        _ = base
        return out
    }
}
