// Writing safetensors files: a JSON header with keys in sorted order, padded with spaces to a multiple
// of 8 bytes (as the Hugging Face writer does, so the data is aligned), then each tensor's little-endian
// bytes in the same order. Written to a temporary name beside the target, then renamed into place.
import Foundation

/// One float32 array to write, read straight from memory (no Double round trip for large weights).
public struct SafeTensorsFloatArray {
    public var name: String
    public var shape: [Int]
    public var values: UnsafeBufferPointer<Float>

    public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) for \(values.count) values")
        self.name = name; self.shape = shape; self.values = values
    }
}

extension SafeTensorsFile {
    /// Writes float32 arrays (dtype "F32") and string metadata to `path`.
    public static func writeF32(_ arrays: [SafeTensorsFloatArray], metadata: [String: String] = [:], to path: String) throws {
        let sorted = arrays.sorted { $0.name < $1.name }
        guard Set(sorted.map(\.name)).count == sorted.count else {
            throw SafeTensorsError.malformed(path: path, reason: "two tensors share a name")
        }
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
            parts.append("\"__metadata__\":{\(m)}")
        }
        var offset = 0
        for a in sorted {
            let bytes = a.values.count * 4
            parts.append("\(jsonString(a.name)):{\"dtype\":\"F32\",\"shape\":[\(a.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var data = Data(capacity: 8 + headerBytes.count + offset)
        var n = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for a in sorted {
            // x86-64 and arm64 are little-endian, the byte order the format requires.
            data.append(UnsafeBufferPointer(start: UnsafeRawPointer(a.values.baseAddress!).assumingMemoryBound(to: UInt8.self), count: a.values.count * 4))
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
            // POSIX rename replaces an existing file atomically (FileManager.replaceItemAt fails on Linux
            // the second time it replaces the same path).
            guard rename(temporary.path, path) == 0 else {
                throw SafeTensorsError.unreadable(path: path, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)   // best effort: the error below is what matters
            throw SafeTensorsError.unreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
