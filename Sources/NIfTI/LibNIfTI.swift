// The one door to libnifti2 (and its znzlib): nothing else in salt calls it or sees a C pointer.
// libnifti2 parses headers (NIfTI-1 and -2, either byte order, .nii, .nii.gz, .hdr/.img), builds the
// qform from the quaternion, and converts our header fields back into a nifti_1_header / nifti_2_header.
// Voxel data we read and write ourselves through znzlib, so that every byte count is checked: a
// truncated .nii.gz can otherwise come back partly read. Each C failure becomes a thrown `NIfTIError`
// naming the C function. libnifti2 prints to stderr on errors; we keep it quiet (debug level 0) and
// check what it would complain about before calling it, so users see our messages only.
import CNIfTI
import Foundation

enum LibNIfTI {
    /// libnifti2 is chatty at its default debug level; 0 keeps it to hard errors, which we pre-empt.
    private static let quiet: Void = { nifti_set_debug_level(0) }()

    // MARK: Reading

    /// Reads the header and the voxels of a NIfTI file as scaled Floats (i fastest).
    /// `maxDimensions` is 3 (a scalar 3D volume; a singleton 4th dimension is dropped) or 4.
    static func read(_ path: String, maxDimensions: Int) throws -> (header: NIfTIHeader, voxels: [Float], shape: [Int], datatype: NIfTIDataType) {
        let (header, imagePath, offset, shape, datatype) = try readHeaderAndLocateData(path, maxDimensions: maxDimensions)
        let count = shape.reduce(1, *)
        let byteCount = count * datatype.byteSize
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: max(byteCount, 1), alignment: 16)
        defer { raw.deallocate() }
        try readData(imagePath, offset: offset, into: raw, byteCount: byteCount)
        let (slope, intercept) = header.scaling
        let voxels = VoxelConversion.floats(from: UnsafeRawBufferPointer(raw), datatype: datatype, count: count,
                                            bigEndian: header.bigEndian, slope: slope, intercept: intercept)
        return (header, voxels, shape, datatype)
    }

    /// Reads the header only (no voxel data needed; a .hdr without its .img still reads).
    static func readHeader(_ path: String) throws -> NIfTIHeader {
        _ = quiet
        try checkReadable(path)
        let format = try sniffHeader(path)
        return try parseHeader(path, format: format).header
    }

    private static func readHeaderAndLocateData(_ path: String, maxDimensions: Int) throws
        -> (NIfTIHeader, String, Int, [Int], NIfTIDataType) {
        _ = quiet
        try checkReadable(path)
        let format = try sniffHeader(path)
        var imagePath = path
        if format.isPair {
            let candidates = imageCandidates(forHeader: path)
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw NIfTIError.missingImageFile(header: path, tried: candidates)
            }
            imagePath = found
        }
        let (header, offset) = try parseHeader(path, format: format)
        guard let datatype = NIfTIDataType(code: header.datatypeCode) else {
            throw NIfTIError.unsupportedDatatype(path: path, code: header.datatypeCode, name: NIfTIDataType.name(ofCode: header.datatypeCode))
        }
        let dims = header.effectiveDims
        if dims.contains(where: { $0 < 1 }) {
            throw NIfTIError.invalidHeader(path: path, detail: "dimensions \(dims) include a size below 1")
        }
        if dims.count > 4 {
            throw NIfTIError.notScalarVolume(path: path, dims: dims,
                detail: "\(dims.count)D data (dim[5] = \(header.dim[5]) usually means vector or colour components per voxel); salt needs one scalar value per voxel")
        }
        var shape = dims
        if shape.count == 4 && maxDimensions < 4 {
            throw NIfTIError.notScalarVolume(path: path, dims: dims,
                detail: "4D with \(dims[3]) volumes; salt needs a single 3D volume (extract one, e.g. 'fslroi in out 0 1')")
        }
        if shape.count > 3 && shape[3] == 1 { shape = Array(shape.prefix(3)) }
        let total = shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 })
        guard total < (1 << 40) / max(datatype.byteSize, 1) else {
            throw NIfTIError.invalidHeader(path: path, detail: "dimensions \(dims) describe an implausibly large volume")
        }
        return (header, imagePath, offset, shape, datatype)
    }

    private static func checkReadable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw NIfTIError.fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw NIfTIError.unreadable(path: path, reason: "it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw NIfTIError.unreadable(path: path, reason: "permission denied")
        }
    }

    /// For `x.hdr` (or `x.hdr.gz`): `x.img`, `x.img.gz` (and the upper-case forms).
    static func imageCandidates(forHeader path: String) -> [String] {
        for (h, imgs) in [(".hdr.gz", [".img.gz", ".img"]), (".hdr", [".img", ".img.gz"]),
                          (".HDR.GZ", [".IMG.GZ", ".IMG"]), (".HDR", [".IMG", ".IMG.GZ"])] where path.hasSuffix(h) {
            let base = String(path.dropLast(h.count))
            return imgs.map { base + $0 }
        }
        return [path]
    }

    private static func isGzip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }  // closing a read-only handle cannot lose data
        let magic = handle.readData(ofLength: 2)
        return magic.count == 2 && magic[magic.startIndex] == 0x1f && magic[magic.startIndex + 1] == 0x8b
    }

    /// Checks the header size field and magic ourselves (libnifti2 would print to stderr, and would
    /// take a file without magic for ANALYZE 7.5). Returns the NIfTI version (1 or 2) and whether the
    /// file is the header of a .hdr/.img pair ("ni1"/"ni2").
    private static func sniffHeader(_ path: String) throws -> (version: Int, isPair: Bool) {
        let gz = isGzip(path)
        guard let fp = znzopen(path, "rb", gz ? 1 : 0) else {
            throw NIfTIError.unreadable(path: path, reason: "znzopen failed")
        }
        var fpVar: znzFile? = fp
        defer { Xznzclose(&fpVar) }
        var bytes = [UInt8](repeating: 0, count: 540)
        let got = bytes.withUnsafeMutableBytes { znzread($0.baseAddress, 1, 540, fp) }
        if got < 0 {
            throw NIfTIError.corruptCompression(path: path, detail: "znzread could not decompress the header")
        }
        func int32(_ at: Int, bigEndian: Bool) -> Int {
            let v = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return Int(Int32(bitPattern: bigEndian ? v.byteSwapped : v))
        }
        guard got >= 4 else {
            throw NIfTIError.truncated(path: path, what: "NIfTI header", expectedBytes: 348, gotBytes: got)
        }
        let sizeLE = int32(0, bigEndian: false), sizeBE = int32(0, bigEndian: true)
        if sizeLE == 348 || sizeBE == 348 {
            guard got >= 348 else {
                throw NIfTIError.truncated(path: path, what: "NIfTI-1 header", expectedBytes: 348, gotBytes: got)
            }
            let magic = Array(bytes[344..<348])
            if magic == Array("n+1".utf8) + [0] { return (1, false) }
            if magic == Array("ni1".utf8) + [0] { return (1, true) }
            throw NIfTIError.notNIfTI(path: path, detail: "no NIfTI-1 magic ('n+1' or 'ni1') at byte 344, found \(printable(magic)); an ANALYZE 7.5 header is not supported")
        }
        if sizeLE == 540 || sizeBE == 540 {
            guard got >= 540 else {
                throw NIfTIError.truncated(path: path, what: "NIfTI-2 header", expectedBytes: 540, gotBytes: got)
            }
            let magic = Array(bytes[4..<8])
            if magic == Array("n+2".utf8) + [0] { return (2, false) }
            if magic == Array("ni2".utf8) + [0] { return (2, true) }
            throw NIfTIError.notNIfTI(path: path, detail: "no NIfTI-2 magic ('n+2' or 'ni2') at byte 4, found \(printable(magic))")
        }
        throw NIfTIError.notNIfTI(path: path, detail: "the header size field is \(sizeLE), not 348 (NIfTI-1) or 540 (NIfTI-2)\(gz ? "" : (isGzipName(path) ? "; the name ends in .gz but the file is not gzip-compressed" : ""))")
    }

    private static func isGzipName(_ path: String) -> Bool { path.lowercased().hasSuffix(".gz") }

    private static func printable(_ bytes: [UInt8]) -> String {
        "'" + bytes.map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined() + "'"
    }

    /// nifti_image_read (header and extensions only) -> our header; returns the data offset too.
    private static func parseHeader(_ path: String, format: (version: Int, isPair: Bool)) throws -> (header: NIfTIHeader, offset: Int) {
        guard let nim = nifti_image_read(path, 0) else {
            throw NIfTIError.library(path: path, function: "nifti_image_read", detail: "could not read the header (it may be damaged)")
        }
        defer { nifti_image_free(nim) }
        let n = nim.pointee
        var h = NIfTIHeader()
        h.version = format.version
        h.isPair = format.isPair
        h.bigEndian = n.byteorder == 2
        h.dim = withUnsafeBytes(of: n.dim) { Array($0.bindMemory(to: Int64.self)).map { Int($0) } }
        h.pixdim = withUnsafeBytes(of: n.pixdim) { Array($0.bindMemory(to: Double.self)) }
        h.datatypeCode = Int(n.datatype)
        h.sclSlope = n.scl_slope
        h.sclInter = n.scl_inter
        h.calMin = n.cal_min
        h.calMax = n.cal_max
        h.qformCode = Int(n.qform_code)
        h.sformCode = Int(n.sform_code)
        h.quaternB = n.quatern_b
        h.quaternC = n.quatern_c
        h.quaternD = n.quatern_d
        h.qoffsetX = n.qoffset_x
        h.qoffsetY = n.qoffset_y
        h.qoffsetZ = n.qoffset_z
        h.qform = affine(n.qto_xyz)
        h.sform = affine(n.sto_xyz)
        h.xyzUnits = Int(n.xyz_units)
        h.timeUnits = Int(n.time_units)
        h.intentCode = Int(n.intent_code)
        h.intentP1 = n.intent_p1
        h.intentP2 = n.intent_p2
        h.intentP3 = n.intent_p3
        h.intentName = string(n.intent_name)
        h.descrip = string(n.descrip)
        h.auxFile = string(n.aux_file)
        h.freqDim = Int(n.freq_dim)
        h.phaseDim = Int(n.phase_dim)
        h.sliceDim = Int(n.slice_dim)
        h.sliceCode = Int(n.slice_code)
        h.sliceStart = Int(n.slice_start)
        h.sliceEnd = Int(n.slice_end)
        h.sliceDuration = n.slice_duration
        h.toffset = n.toffset
        if n.num_ext > 0, let list = n.ext_list {
            for e in 0..<Int(n.num_ext) {
                let ext = list[e]
                let size = max(0, Int(ext.esize) - 8)
                var data = [UInt8](repeating: 0, count: size)
                if size > 0, let edata = ext.edata {
                    data.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: edata, count: size)) }
                }
                h.extensions.append(NIfTIExtension(code: Int(ext.ecode), data: data))
            }
        }
        h.fileAffine = h.standardAffine
        return (h, Int(n.iname_offset))
    }

    /// Reads exactly `byteCount` bytes of voxel data at `offset`, checking every count; for gzip also
    /// reads past the end so zlib checks the stream's CRC and length.
    private static func readData(_ path: String, offset: Int, into buffer: UnsafeMutableRawBufferPointer, byteCount: Int) throws {
        let gz = isGzip(path)
        guard let fp = znzopen(path, "rb", gz ? 1 : 0) else {
            throw NIfTIError.unreadable(path: path, reason: "znzopen failed for the voxel data")
        }
        var fpVar: znzFile? = fp
        defer { Xznzclose(&fpVar) }
        if offset > 0 {
            if znzseek(fp, off_t(offset), SEEK_SET) < 0 {
                throw gz ? NIfTIError.corruptCompression(path: path, detail: "znzseek to the voxel data at byte \(offset) failed")
                         : NIfTIError.truncated(path: path, what: "voxel data offset", expectedBytes: offset, gotBytes: 0)
            }
        }
        var done = 0
        // Read in blocks so a damaged stream is reported with how far it got.
        let block = 64 << 20
        while done < byteCount {
            let want = min(block, byteCount - done)
            let got = znzread(buffer.baseAddress! + done, 1, want, fp)
            if got < 0 {
                throw NIfTIError.corruptCompression(path: path, detail: "znzread failed after \(done) of \(byteCount) voxel bytes")
            }
            done += got
            if got < want {
                throw NIfTIError.truncated(path: path, what: "voxel data", expectedBytes: byteCount, gotBytes: done)
            }
        }
        if gz {
            // Read to the end so zlib reaches the trailer and checks its CRC; zlib reports a stream
            // cut short only through gzerror (which znzlib does not expose), so also compare the
            // trailer's ISIZE with the bytes we got.
            var trailing = 0
            var scratch = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let got = scratch.withUnsafeMutableBytes { znzread($0.baseAddress, 1, $0.count, fp) }
                if got < 0 {
                    throw NIfTIError.corruptCompression(path: path, detail: "the voxel data decompressed but the gzip stream ends badly (its CRC does not match)")
                }
                trailing += got
                if got < scratch.count { break }
            }
            if let (isize, multiMember) = gzipTrailer(path), !multiMember,
               isize != UInt32(truncatingIfNeeded: offset + byteCount + trailing) {
                throw NIfTIError.corruptCompression(path: path, detail: "the gzip stream is cut short (its trailer is missing or damaged: it records \(isize) bytes, the stream held \(offset + byteCount + trailing))")
            }
        }
    }

    /// The ISIZE field (uncompressed length mod 2^32) at the end of a gzip file, and whether the file
    /// is BGZF (FEXTRA set: many gzip members, so the last ISIZE covers only the last member).
    private static func gzipTrailer(_ path: String) -> (UInt32, Bool)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }  // closing a read-only handle cannot lose data
        let head = handle.readData(ofLength: 4)
        guard head.count == 4 else { return nil }
        let multiMember = head[head.startIndex + 3] & 0x04 != 0
        let size = handle.seekToEndOfFile()
        guard size >= 18 else { return (0, multiMember) }
        handle.seek(toFileOffset: size - 4)
        let tail = [UInt8](handle.readData(ofLength: 4))
        guard tail.count == 4 else { return nil }
        return (UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24, multiMember)
    }

    // MARK: Writing

    /// Writes a NIfTI-1 file (NIfTI-2 when a dimension exceeds 32767) with `header`'s fields, the
    /// given extensions and raw little-endian voxel bytes, to `path` (.nii, or gzip for .nii.gz at
    /// `compressionLevel` 1...9). Writes to a temporary name in the same folder, then renames.
    static func write(header: NIfTIHeader, extensions: [NIfTIExtension], data: [UInt8], to path: String, compressionLevel: Int) throws {
        _ = quiet
        precondition(1.littleEndian == 1, "salt writes little-endian NIfTI files and runs on little-endian machines only")
        let lower = path.lowercased()
        let gz: Bool
        if lower.hasSuffix(".nii.gz") { gz = true } else if lower.hasSuffix(".nii") { gz = false } else {
            throw NIfTIError.unsupportedOutputName(path: path)
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw NIfTIError.writeFailed(path: path, function: "open", detail: "the folder \(folder) does not exist")
        }
        let tmp = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" + (gz ? ".nii.gz" : ".nii")
        var success = false
        defer { if !success { unlink(tmp) } }

        let dims = header.dim
        let useNIfTI2 = dims[1...].contains { $0 > 32767 }
        var extensionBytes: [UInt8] = []
        for e in extensions {
            let size = (e.data.count + 8 + 15) / 16 * 16
            extensionBytes += le32(size) + le32(e.code) + e.data + [UInt8](repeating: 0, count: size - 8 - e.data.count)
        }
        let headerSize = useNIfTI2 ? 540 : 348
        let voxOffset = headerSize + 4 + extensionBytes.count

        guard let nim = nifti_simple_init_nim() else {
            throw NIfTIError.writeFailed(path: path, function: "nifti_simple_init_nim", detail: "out of memory")
        }
        defer { nim.pointee.data = nil; nifti_image_free(nim) }
        fill(nim, from: header, niftiType: useNIfTI2 ? 4 : 1, voxOffset: voxOffset)

        var headerBytes: [UInt8]
        if useNIfTI2 {
            var h = nifti_2_header()
            guard nifti_convert_nim2n2hdr(nim, &h) == 0 else {
                throw NIfTIError.writeFailed(path: path, function: "nifti_convert_nim2n2hdr", detail: "the header fields could not be converted")
            }
            h.vox_offset = Int64(voxOffset)
            headerBytes = withUnsafeBytes(of: &h) { Array($0.prefix(540)) }
        } else {
            var h = nifti_1_header()
            guard nifti_convert_nim2n1hdr(nim, &h) == 0 else {
                throw NIfTIError.writeFailed(path: path, function: "nifti_convert_nim2n1hdr", detail: "the header fields could not be converted")
            }
            h.vox_offset = Float(voxOffset)
            headerBytes = withUnsafeBytes(of: &h) { Array($0.prefix(348)) }
        }
        headerBytes += [extensions.isEmpty ? 0 : 1, 0, 0, 0]
        headerBytes += extensionBytes

        let level = max(1, min(9, compressionLevel))
        guard let fp = znzopen(tmp, gz ? "wb\(level)" : "wb", gz ? 1 : 0) else {
            throw NIfTIError.writeFailed(path: path, function: "znzopen", detail: "cannot create \(tmp): \(String(cString: strerror(errno)))")
        }
        var fpVar: znzFile? = fp
        var closed = false
        defer { if !closed { Xznzclose(&fpVar) } }
        func put(_ bytes: UnsafeRawBufferPointer, _ what: String) throws {
            var done = 0
            let block = 64 << 20
            while done < bytes.count {
                let want = min(block, bytes.count - done)
                let wrote = znzwrite(bytes.baseAddress! + done, 1, want, fp)
                guard wrote == want else {
                    throw NIfTIError.writeFailed(path: path, function: "znzwrite", detail: "wrote \(done + (wrote < 0 ? 0 : wrote)) of \(bytes.count) bytes of the \(what) (\(String(cString: strerror(errno))))")
                }
                done += want
            }
        }
        try headerBytes.withUnsafeBytes { try put($0, "header") }
        try data.withUnsafeBytes { try put($0, "voxel data") }
        closed = true
        let status = Xznzclose(&fpVar)
        guard status == 0 else {
            throw NIfTIError.writeFailed(path: path, function: "znzclose", detail: "closing the file failed (status \(status); disk full?)")
        }
        guard rename(tmp, path) == 0 else {
            throw NIfTIError.writeFailed(path: path, function: "rename", detail: String(cString: strerror(errno)))
        }
        success = true
    }

    private static func le32(_ v: Int) -> [UInt8] {
        let u = UInt32(bitPattern: Int32(truncatingIfNeeded: v))
        return [UInt8(u & 0xff), UInt8((u >> 8) & 0xff), UInt8((u >> 16) & 0xff), UInt8(u >> 24)]
    }

    private static func fill(_ nim: UnsafeMutablePointer<nifti_image>, from h: NIfTIHeader, niftiType: Int32, voxOffset: Int) {
        var dim = h.dim.map { Int64($0) }
        while dim.count < 8 { dim.append(1) }
        _ = withUnsafeMutableBytes(of: &nim.pointee.dim) { $0.bindMemory(to: Int64.self).update(from: dim) }
        nim.pointee.ndim = dim[0]
        nim.pointee.nx = dim[1]; nim.pointee.ny = dim[2]; nim.pointee.nz = dim[3]; nim.pointee.nt = dim[4]
        nim.pointee.nu = dim[5]; nim.pointee.nv = dim[6]; nim.pointee.nw = dim[7]
        nim.pointee.nvox = (1...Int(max(1, min(7, dim[0])))).reduce(Int64(1)) { $0 * dim[$1] }
        nim.pointee.datatype = Int32(h.datatypeCode)
        var nbyper: Int32 = 0, swapsize: Int32 = 0
        nifti_datatype_sizes(nim.pointee.datatype, &nbyper, &swapsize)
        nim.pointee.nbyper = nbyper
        nim.pointee.swapsize = swapsize
        var pixdim = h.pixdim
        while pixdim.count < 8 { pixdim.append(1) }
        _ = withUnsafeMutableBytes(of: &nim.pointee.pixdim) { $0.bindMemory(to: Double.self).update(from: pixdim) }
        nim.pointee.dx = pixdim[1]; nim.pointee.dy = pixdim[2]; nim.pointee.dz = pixdim[3]; nim.pointee.dt = pixdim[4]
        nim.pointee.du = pixdim[5]; nim.pointee.dv = pixdim[6]; nim.pointee.dw = pixdim[7]
        nim.pointee.qfac = pixdim[0] < 0 ? -1 : 1
        nim.pointee.scl_slope = h.sclSlope
        nim.pointee.scl_inter = h.sclInter
        nim.pointee.cal_min = h.calMin
        nim.pointee.cal_max = h.calMax
        nim.pointee.qform_code = Int32(h.qformCode)
        nim.pointee.sform_code = Int32(h.sformCode)
        nim.pointee.quatern_b = h.quaternB
        nim.pointee.quatern_c = h.quaternC
        nim.pointee.quatern_d = h.quaternD
        nim.pointee.qoffset_x = h.qoffsetX
        nim.pointee.qoffset_y = h.qoffsetY
        nim.pointee.qoffset_z = h.qoffsetZ
        nim.pointee.sto_xyz = dmat44(h.sform)
        nim.pointee.xyz_units = Int32(h.xyzUnits)
        nim.pointee.time_units = Int32(h.timeUnits)
        nim.pointee.intent_code = Int32(h.intentCode)
        nim.pointee.intent_p1 = h.intentP1
        nim.pointee.intent_p2 = h.intentP2
        nim.pointee.intent_p3 = h.intentP3
        setString(&nim.pointee.intent_name, h.intentName)
        setString(&nim.pointee.descrip, h.descrip)
        setString(&nim.pointee.aux_file, h.auxFile)
        nim.pointee.freq_dim = Int32(h.freqDim)
        nim.pointee.phase_dim = Int32(h.phaseDim)
        nim.pointee.slice_dim = Int32(h.sliceDim)
        nim.pointee.slice_code = Int32(h.sliceCode)
        nim.pointee.slice_start = Int64(h.sliceStart)
        nim.pointee.slice_end = Int64(h.sliceEnd)
        nim.pointee.slice_duration = h.sliceDuration
        nim.pointee.toffset = h.toffset
        nim.pointee.nifti_type = niftiType
        nim.pointee.iname_offset = Int64(voxOffset)
        nim.pointee.byteorder = 1  // LSB_FIRST
    }

    // MARK: Quaternions

    /// The qform parameters that describe `affine` (nifti_dmat44_to_quatern): quaternion (b, c, d),
    /// offsets, voxel sizes and qfac.
    static func quaternion(of affine: Affine) -> (b: Double, c: Double, d: Double, x: Double, y: Double, z: Double,
                                                   dx: Double, dy: Double, dz: Double, qfac: Double) {
        var b = 0.0, c = 0.0, d = 0.0, x = 0.0, y = 0.0, z = 0.0, dx = 0.0, dy = 0.0, dz = 0.0, qfac = 0.0
        nifti_dmat44_to_quatern(dmat44(affine), &b, &c, &d, &x, &y, &z, &dx, &dy, &dz, &qfac)
        return (b, c, d, x, y, z, dx, dy, dz, qfac)
    }

    /// The matrix a quaternion describes (nifti_quatern_to_dmat44), as readers will rebuild it.
    static func qformMatrix(b: Double, c: Double, d: Double, x: Double, y: Double, z: Double,
                            dx: Double, dy: Double, dz: Double, qfac: Double) -> Affine {
        affine(nifti_quatern_to_dmat44(b, c, d, x, y, z, dx, dy, dz, qfac))
    }

    // MARK: Conversions

    private static func affine(_ m: nifti_dmat44) -> Affine {
        let flat = withUnsafeBytes(of: m.m) { Array($0.bindMemory(to: Double.self)) }
        return Affine((0..<4).map { r in Array(flat[(r * 4)..<(r * 4 + 4)]) })
    }

    private static func dmat44(_ a: Affine) -> nifti_dmat44 {
        var m = nifti_dmat44()
        let flat = a.m.flatMap { $0 }
        _ = withUnsafeMutableBytes(of: &m.m) { $0.bindMemory(to: Double.self).update(from: flat) }
        return m
    }

    private static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    private static func setString<T>(_ tuple: inout T, _ s: String) {
        withUnsafeMutableBytes(of: &tuple) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            let bytes = Array(s.utf8.prefix(buffer.count - 1))
            buffer.copyBytes(from: bytes)
        }
    }
}
