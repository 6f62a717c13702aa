// The one place that calls zlib: writes 8-bit RGB images as PNG (IHDR, one IDAT, IEND; filter 0 on every
// row). Deterministic bytes: no time or text chunks.
import CZlib
import Foundation

public enum PNGWriter {
    /// Encodes `rgb` (width * height * 3 bytes, rows top to bottom) as a PNG file's bytes.
    public static func encode(width: Int, height: Int, rgb: [UInt8]) throws -> [UInt8] {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3,
                     "PNG of \(width)x\(height) needs \(width * height * 3) bytes, got \(rgb.count)")
        var raw = [UInt8]()
        raw.reserveCapacity(height * (width * 3 + 1))
        for y in 0..<height {
            raw.append(0)   // filter type None
            raw.append(contentsOf: rgb[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var bound = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(bound))
        let status = compressed.withUnsafeMutableBufferPointer { dst in
            raw.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &bound, src.baseAddress, uLong(src.count), 6)
            }
        }
        guard status == Z_OK else {
            throw ConversionError.output(path: "PNG", detail: "zlib compress2 failed with status \(status)")
        }
        compressed.removeLast(compressed.count - Int(bound))

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]   // 8 bits, truecolour RGB, deflate, adaptive filtering, no interlace
        chunk("IHDR", header, into: &png)
        chunk("IDAT", compressed, into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    /// Writes a PNG file (to a temporary name, then renamed).
    public static func write(width: Int, height: Int, rgb: [UInt8], to path: String) throws {
        let bytes = try encode(width: width, height: height, rgb: rgb)
        try AtomicFile.write(Data(bytes), to: path)
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }

    private static func chunk(_ type: String, _ data: [UInt8], into png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png += bigEndian(UInt32(data.count))
        png += typeBytes
        png += data
        var c = crc32(0, nil, 0)
        c = typeBytes.withUnsafeBufferPointer { crc32(c, $0.baseAddress, uInt($0.count)) }
        if !data.isEmpty { c = data.withUnsafeBufferPointer { crc32(c, $0.baseAddress, uInt($0.count)) } }
        png += bigEndian(UInt32(c))
    }
}

/// Writes files under a temporary name in the same folder, then renames them into place, so a reader
/// never sees half a file.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try data.write(to: URL(fileURLWithPath: tmp))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw ConversionError.output(path: path, detail: error.localizedDescription)
        }
    }

    static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
