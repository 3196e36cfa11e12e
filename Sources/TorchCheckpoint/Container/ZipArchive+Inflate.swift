internal import CZip

extension ZipArchive {
    /// The entry's bytes: a zero-copy slice of the map when stored, a buffer
    /// inflated by libzip when deflated. The CRC-32 is checked either way,
    /// except that a recorded CRC of 0 (torch's `set_crc32_options(False)`)
    /// is accepted for stored entries.
    static func contents(of entry: ZipEntry, in file: MappedFile, limits: ReadLimits) throws -> ByteRegion {
        switch entry.method {
        case 0:
            let region = ByteRegion(file: file, range: entry.dataOffset..<(entry.dataOffset + entry.compressedSize))
            if entry.crc32 != 0 {
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

    private static func inflate(_ entry: ZipEntry, in file: MappedFile, limits: ReadLimits) throws -> ByteRegion {
        let path = file.path
        guard entry.uncompressedSize <= limits.maxInflatedEntryBytes else {
            throw CheckpointError.limitExceeded(file: path, what: "deflated entry '\(entry.name)' of \(entry.uncompressedSize) bytes", limit: limits.maxInflatedEntryBytes)
        }
        // libzip reads the archive from our map, not from the path again, so
        // the bytes inflated are the bytes the directory was parsed from.
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        guard let source = zip_source_buffer_create(file.bytes.baseAddress, zip_uint64_t(file.count), 0, &error) else {
            throw CheckpointError.corruptZip(file: path, reason: "libzip: \(String(cString: zip_error_strerror(&error)))")
        }
        guard let archive = zip_open_from_source(source, ZIP_RDONLY, &error) else {
            zip_source_free(source)
            throw CheckpointError.corruptZip(file: path, reason: "libzip: \(String(cString: zip_error_strerror(&error)))")
        }
        defer { zip_discard(archive) }
        let index = zip_name_locate(archive, entry.name, zip_flags_t(ZIP_FL_ENC_RAW))
        guard index >= 0, let handle = zip_fopen_index(archive, zip_uint64_t(index), 0) else {
            throw CheckpointError.corruptZip(file: path, reason: "libzip cannot open entry '\(entry.name)': \(String(cString: zip_strerror(archive)))")
        }
        defer { zip_fclose(handle) }
        let buffer = OwnedBuffer(count: entry.uncompressedSize + 1)
        var filled = 0
        // Read one byte past the declared size: an entry that inflates to more
        // than it declares is refused rather than truncated.
        while filled <= entry.uncompressedSize {
            let n = zip_fread(handle, buffer.pointer.baseAddress! + filled, zip_uint64_t(entry.uncompressedSize + 1 - filled))
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
