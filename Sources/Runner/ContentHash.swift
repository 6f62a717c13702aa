// The one door to xxhash: XXH3-128 of bytes and of files. Files up to `chunkSize` are hashed whole; larger
// files are cut into fixed `chunkSize` chunks hashed in parallel, and the digest is XXH3-128 of a tag and
// the chunk digests (a fixed tree, so the digest never depends on the number of threads).
import CXXHash
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A 128-bit content digest; `hex` is its 32-character lowercase form used in records and cache paths.
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init?(hex: String) {
        guard hex.utf8.count == 32, let h = UInt64(hex.prefix(16), radix: 16), let l = UInt64(hex.suffix(16), radix: 16) else { return nil }
        high = h
        low = l
    }

    public var hex: String {
        let h = String(high, radix: 16), l = String(low, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
    }

    public var description: String { hex }

    func append(to bytes: inout [UInt8]) {
        withUnsafeBytes(of: high.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: low.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

public enum ContentHash {
    /// Files larger than this are hashed as a tree of chunks of this size, in parallel.
    public static let chunkSize = 1 << 24

    public static func digest(_ pointer: UnsafeRawPointer?, count: Int) -> Digest {
        let h = XXH3_128bits(pointer, count)
        return Digest(high: h.high64, low: h.low64)
    }

    public static func digest(_ bytes: [UInt8]) -> Digest {
        bytes.withUnsafeBytes { digest($0.baseAddress, count: $0.count) }
    }

    /// The digest of an open regular file of `size` bytes.
    public static func file(descriptor fd: Int32, size: Int, path: String) throws -> Digest {
        if size == 0 { return digest(nil, count: 0) }
        if size <= 1 << 20 {
            // Small files: one read into a buffer costs less than setting up a mapping.
            var buffer = [UInt8](repeating: 0, count: size)
            var done = 0
            try buffer.withUnsafeMutableBytes { raw in
                while done < size {
                    let n = pread(fd, raw.baseAddress! + done, size - done, off_t(done))
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw RunnerError.io(function: "pread", path: path, errno: n < 0 ? errno : EIO) }
                    done += n
                }
            }
            return digest(buffer)
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw RunnerError.io(function: "mmap", path: path, errno: errno)
        }
        defer { munmap(base, size) }
        _ = madvise(base, size, MADV_WILLNEED)
        let pointer = UnsafeRawPointer(base)
        if size <= chunkSize { return digest(pointer, count: size) }
        let chunks = (size + chunkSize - 1) / chunkSize
        let digests = UnsafeMutableBufferPointer<Digest>.allocate(capacity: chunks)
        defer { digests.deallocate() }
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let start = i * chunkSize
            digests[i] = digest(pointer + start, count: min(chunkSize, size - start))
        }
        var tree = Array("xxh3-128/16MiB-tree".utf8)
        for d in digests { d.append(to: &tree) }
        return digest(tree)
    }

    /// The digest of the regular file at `path`.
    public static func file(at path: String) throws -> Digest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RunnerError.io(function: "open", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw RunnerError.io(function: "fstat", path: path, errno: errno) }
        return try file(descriptor: fd, size: Int(st.st_size), path: path)
    }
}
