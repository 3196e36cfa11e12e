internal import CZip

/// Deflate never produces more than 1032 bytes per input byte (a 258-byte
/// match coded in 2 bits), plus a few hundred bytes for a final block. A
/// deflated entry that declares more than this is lying about its size.
private let deflateMaxRatio = 1032
private let deflateSlack = 1024

extension ZipArchive {
    /// The entry's bytes: a zero-copy slice of the map when stored, a buffer
    /// inflated by libzip when deflated. The CRC-32 is checked either way,
    /// except that a recorded CRC of 0 (torch's `set_crc32_options(False)`)
    /// is accepted for stored entries, and that `verifyStored: false` skips
    /// the check of stored entries (``ReadOptions/verifiesStoredChecksums``).
    static func contents(of entry: ZipEntry, in file: MappedFile, limits: ReadLimits,
                         verifyStored: Bool = true) throws -> ByteRegion {
        // The directory parser already checked this; a ZipEntry is a plain
        // struct, so check again before slicing the map.
        guard entry.dataOffset >= 0, entry.compressedSize >= 0, entry.dataOffset <= file.count,
              entry.compressedSize <= file.count - entry.dataOffset else {
            throw CheckpointError.corruptZip(file: file.path, reason: "entry '\(entry.name)' data (\(entry.compressedSize) bytes at offset \(entry.dataOffset)) runs past the end of the file")
        }
        switch entry.method {
        case 0:
            let region = ByteRegion(file: file, range: entry.dataOffset..<(entry.dataOffset + entry.compressedSize))
            if verifyStored, entry.crc32 != 0 {
                let actual = region.withUnsafeBytes(CRC32.checksum)
                guard actual == entry.crc32 else {
                    throw CheckpointError.crcMismatch(file: file.path, entry: entry.name, expected: entry.crc32, actual: actual)
                }
            }
            return region
        case 8:
            return try inflate(entry, in: file, limits: limits)
        default:
            throw CheckpointError.unsupportedCompression(file: file.path, entry: entry.name, method: entry.method)
        }
    }

    /// Refuses a deflated entry whose declared size is over the limit or more
    /// than deflate can produce from its compressed bytes, before anything is allocated.
    static func checkDeclaredInflation(_ entry: ZipEntry, in file: MappedFile, limits: ReadLimits) throws {
        let path = file.path
        guard entry.uncompressedSize <= limits.maxInflatedEntryBytes else {
            throw CheckpointError.limitExceeded(file: path, what: "deflated entry '\(entry.name)' of \(entry.uncompressedSize) bytes", limit: limits.maxInflatedEntryBytes)
        }
        // Nothing is allocated for a size deflate cannot reach from the bytes present.
        let (scaled, overflow) = entry.compressedSize.multipliedReportingOverflow(by: deflateMaxRatio)
        guard overflow || entry.uncompressedSize <= scaled + deflateSlack else {
            throw CheckpointError.corruptZip(file: path, reason: "deflated entry '\(entry.name)' declares \(entry.uncompressedSize) bytes, more than deflate can produce from its \(entry.compressedSize) compressed bytes")
        }
    }

    private static func inflate(_ entry: ZipEntry, in file: MappedFile, limits: ReadLimits) throws -> ByteRegion {
        let path = file.path
        try checkDeclaredInflation(entry, in: file, limits: limits)
        // libzip reads the archive from our map, not from the path again, so
        // the bytes inflated are the bytes the directory was parsed from; its
        // view of the entry must agree with ours.
        return try file.withLibzip { archive in
            let handle = try archive.open(entry)
            defer { zip_fclose(handle) }
            let buffer = OwnedBuffer(count: entry.uncompressedSize + 1)
            guard let start = buffer.pointer.baseAddress else {
                throw CheckpointError.corruptZip(file: path, reason: "cannot allocate \(entry.uncompressedSize) bytes for entry '\(entry.name)'")
            }
            var filled = 0
            // Read one byte past the declared size: an entry that inflates to more
            // than it declares is refused rather than truncated.
            while filled <= entry.uncompressedSize {
                let n = zip_fread(handle, start + filled, zip_uint64_t(entry.uncompressedSize + 1 - filled))
                if n < 0 {
                    let message = String(cString: zip_file_strerror(handle))
                    if message.lowercased().contains("crc") {
                        throw CheckpointError.crcMismatch(file: path, entry: entry.name, expected: entry.crc32, actual: 0)
                    }
                    throw CheckpointError.corruptZip(file: path, reason: "cannot inflate entry '\(entry.name)': \(message)")
                }
                if n == 0 { break }
                filled += Int(n)
            }
            guard filled == entry.uncompressedSize else {
                throw CheckpointError.corruptZip(file: path, reason: "entry '\(entry.name)' declares \(entry.uncompressedSize) bytes but inflates to \(filled > entry.uncompressedSize ? "more" : "\(filled)")")
            }
            let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer.pointer)[0..<filled])
            let actual = CRC32.checksum(bytes)
            guard actual == entry.crc32 else {
                throw CheckpointError.crcMismatch(file: path, entry: entry.name, expected: entry.crc32, actual: actual)
            }
            return ByteRegion(owned: buffer, count: filled)
        }
    }
}

/// A libzip archive opened on a memory map (read only, never written back).
/// Kept by `MappedFile`; it does not retain the file, which outlives it.
final class LibzipArchive {
    private let archive: OpaquePointer
    private let path: String

    init(file: MappedFile) throws {
        path = file.path
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        guard let source = zip_source_buffer_create(file.bytes.baseAddress, zip_uint64_t(file.count), 0, &error) else {
            throw CheckpointError.corruptZip(file: file.path, reason: "libzip: \(String(cString: zip_error_strerror(&error)))")
        }
        guard let archive = zip_open_from_source(source, ZIP_RDONLY, &error) else {
            zip_source_free(source)
            throw CheckpointError.corruptZip(file: file.path, reason: "libzip: \(String(cString: zip_error_strerror(&error)))")
        }
        self.archive = archive
    }

    deinit { zip_discard(archive) }

    /// Opens the entry libzip knows under the same raw name, after checking
    /// that libzip read the same method, sizes and CRC from its directory as
    /// `ZipArchive` did (two parsers disagreeing about one file is how a
    /// crafted archive shows different contents to different readers).
    func open(_ entry: ZipEntry) throws -> OpaquePointer {
        func corrupt(_ reason: String) -> CheckpointError { .corruptZip(file: path, reason: reason) }
        let index = zip_name_locate(archive, entry.name, zip_flags_t(ZIP_FL_ENC_RAW))
        guard index >= 0 else {
            throw corrupt("libzip cannot find entry '\(entry.name)': \(String(cString: zip_strerror(archive)))")
        }
        var info = zip_stat_t()
        zip_stat_init(&info)
        guard zip_stat_index(archive, zip_uint64_t(index), zip_flags_t(ZIP_FL_UNCHANGED), &info) == 0 else {
            throw corrupt("libzip cannot read entry '\(entry.name)': \(String(cString: zip_strerror(archive)))")
        }
        let needed = zip_uint64_t(ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_CRC | ZIP_STAT_COMP_METHOD)
        guard info.valid & needed == needed, info.size == zip_uint64_t(entry.uncompressedSize),
              info.comp_size == zip_uint64_t(entry.compressedSize), info.crc == entry.crc32,
              Int(info.comp_method) == entry.method else {
            throw corrupt("libzip reads entry '\(entry.name)' differently (method \(info.comp_method), \(info.comp_size) -> \(info.size) bytes, CRC \(info.crc)) from the central directory (method \(entry.method), \(entry.compressedSize) -> \(entry.uncompressedSize) bytes, CRC \(entry.crc32))")
        }
        guard let handle = zip_fopen_index(archive, zip_uint64_t(index), 0) else {
            throw corrupt("libzip cannot open entry '\(entry.name)': \(String(cString: zip_strerror(archive)))")
        }
        return handle
    }
}
