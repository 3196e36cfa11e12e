/// One entry of a zip central directory.
struct ZipEntry: Sendable {
    let name: String
    let method: Int
    let flags: Int
    let crc32: UInt32
    let compressedSize: Int
    let uncompressedSize: Int
    /// Offset of the entry's data (after its local header) in the file.
    let dataOffset: Int
    /// Offset of the entry's local header in the file.
    var localOffset: Int = 0
}

/// The central directory of a zip file, parsed straight from the memory map.
///
/// The data offsets come from each entry's local header (torch pads the
/// local header's extra field so records start on 64- or 4096-byte
/// boundaries). libzip cannot tell those offsets, which zero-copy reading
/// needs; it is used for what it is good at, inflating deflated entries.
struct ZipArchive: Sendable {
    let entries: [ZipEntry]
    private let index: [String: Int]

    /// Whether the file starts like a zip archive.
    static func looksLikeZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.le32(0) == DirectoryReader.localSignature || bytes.le32(0) == DirectoryReader.eocdSignature
    }

    /// Parses the directory in three steps: find it (the end record, ZIP64 included),
    /// read each entry (locating its data through its local header), then check that
    /// no two entries share bytes.
    init(file: MappedFile, limits: ReadLimits) throws {
        let reader = DirectoryReader(bytes: file.bytes, path: file.path)
        let directory = try reader.locateDirectory(limits: limits)
        var entries: [ZipEntry] = []
        var index: [String: Int] = [:]
        var cursor = directory.offset
        for number in 0..<directory.entryCount {
            let (entry, next) = try reader.entry(number, at: cursor, directoryEnd: directory.offset + directory.size)
            guard index[entry.name] == nil else { throw reader.corrupt("duplicate entry name '\(entry.name)'") }
            index[entry.name] = entries.count
            entries.append(entry)
            cursor = next
        }
        try reader.checkNoOverlap(entries)
        self.entries = entries
        self.index = index
    }

    func entry(named name: String) -> ZipEntry? { index[name].map { entries[$0] } }
}

/// The steps of parsing a central directory from the mapped bytes; every read is
/// bounds-checked (`le16`/`le32`/`le64` return nil past the end).
private struct DirectoryReader {
    let bytes: UnsafeRawBufferPointer
    let path: String

    static let eocdSignature = 0x0605_4b50
    static let zip64LocatorSignature = 0x0706_4b50
    static let zip64EOCDSignature = 0x0606_4b50
    static let centralSignature = 0x0201_4b50
    static let localSignature = 0x0403_4b50

    func corrupt(_ reason: String) -> CheckpointError { .corruptZip(file: path, reason: reason) }

    /// Where the central directory lies and how many entries it has: from the
    /// end-of-central-directory record, or its ZIP64 counterpart when a field overflows.
    func locateDirectory(limits: ReadLimits) throws -> (offset: Int, size: Int, entryCount: Int) {
        // End of central directory: the last 22+ bytes, possibly followed by a comment.
        guard bytes.count >= 22 else { throw corrupt("file of \(bytes.count) bytes is too short for a zip archive") }
        var eocd = -1
        var at = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while at >= lowest {
            if bytes.le32(at) == Self.eocdSignature { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0, var entryCount = bytes.le16(eocd + 10), var directorySize = bytes.le32(eocd + 12),
              var directoryOffset = bytes.le32(eocd + 16) else { throw corrupt("no end-of-central-directory record") }

        // ZIP64: a locator just before the EOCD points at the ZIP64 EOCD record.
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF,
           eocd >= 20, bytes.le32(eocd - 20) == Self.zip64LocatorSignature {
            guard let record64 = bytes.le64(eocd - 20 + 8), record64 < UInt64(bytes.count),
                  bytes.le32(Int(record64)) == Self.zip64EOCDSignature,
                  let count64 = bytes.le64(Int(record64) + 32),
                  let size64 = bytes.le64(Int(record64) + 40),
                  let offset64 = bytes.le64(Int(record64) + 48)
            else { throw corrupt("ZIP64 end-of-central-directory record is missing or truncated") }
            guard count64 <= UInt64(limits.maxZipEntries), size64 <= UInt64(bytes.count), offset64 <= UInt64(bytes.count)
            else { throw corrupt("ZIP64 directory claims \(count64) entries, \(size64) bytes at offset \(offset64), beyond the file of \(bytes.count) bytes") }
            entryCount = Int(count64)
            directorySize = Int(size64)
            directoryOffset = Int(offset64)
        }
        guard entryCount <= limits.maxZipEntries else {
            throw CheckpointError.limitExceeded(file: path, what: "zip entry count \(entryCount)", limit: limits.maxZipEntries)
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw corrupt("central directory (\(directorySize) bytes at offset \(directoryOffset)) lies outside the file of \(bytes.count) bytes")
        }
        return (directoryOffset, directorySize, entryCount)
    }

    /// Central directory entry `number` at `cursor`, and where the next one starts.
    func entry(_ number: Int, at cursor: Int, directoryEnd: Int) throws -> (ZipEntry, next: Int) {
        // Every field read below lies inside [cursor, cursor + 46) ⊂ the directory ⊂ the file.
        guard cursor + 46 <= directoryEnd, bytes.le32(cursor) == Self.centralSignature,
              let flags = bytes.le16(cursor + 8), let method = bytes.le16(cursor + 10),
              let crcField = bytes.le32(cursor + 16), let compressedField = bytes.le32(cursor + 20),
              let uncompressedField = bytes.le32(cursor + 24), let nameLength = bytes.le16(cursor + 28),
              let extraLength = bytes.le16(cursor + 30), let commentLength = bytes.le16(cursor + 32),
              let localField = bytes.le32(cursor + 42) else {
            throw corrupt("central directory entry \(number) at offset \(cursor) is truncated or has a bad signature")
        }
        let nameStart = cursor + 46
        let extraStart = nameStart + nameLength
        let next = extraStart + extraLength + commentLength
        guard next <= directoryEnd else { throw corrupt("central directory entry \(number) runs past the directory") }
        let name = try entryName(UnsafeRawBufferPointer(rebasing: bytes[nameStart..<extraStart]))
        var sizes = (compressed: UInt64(compressedField), uncompressed: UInt64(uncompressedField), localOffset: UInt64(localField))
        try applyZip64Extra(extraStart..<(extraStart + extraLength), of: name, to: &sizes)
        guard flags & 1 == 0 else { throw corrupt("entry '\(name)' is encrypted") }
        guard sizes.localOffset < UInt64(bytes.count), sizes.compressed <= UInt64(bytes.count) else {
            throw corrupt("entry '\(name)' points outside the file (local header at \(sizes.localOffset), \(sizes.compressed) bytes)")
        }
        guard sizes.uncompressed <= UInt64(Int.max) else { throw corrupt("entry '\(name)' claims \(sizes.uncompressed) bytes") }
        let local = Int(sizes.localOffset), compressed = Int(sizes.compressed)
        let dataOffset = try dataOffset(of: name, localHeader: local, compressed: compressed)
        if method == 0, sizes.compressed != sizes.uncompressed {
            throw corrupt("stored entry '\(name)' declares \(sizes.compressed) compressed but \(sizes.uncompressed) uncompressed bytes")
        }
        let entry = ZipEntry(name: name, method: method, flags: flags, crc32: UInt32(truncatingIfNeeded: crcField),
                             compressedSize: compressed, uncompressedSize: Int(sizes.uncompressed),
                             dataOffset: dataOffset, localOffset: local)
        return (entry, next)
    }

    /// The entry name, refused when it holds a NUL: libzip (which inflates) looks
    /// entries up by C string, so it would find a different entry than the one parsed here.
    private func entryName(_ raw: UnsafeRawBufferPointer) throws -> String {
        let name = String(decoding: raw, as: UTF8.self)
        guard !raw.contains(0) else {
            throw corrupt("entry name '\(name.split(separator: "\u{0}", omittingEmptySubsequences: false).joined(separator: "\\0"))' contains a NUL byte")
        }
        return name
    }

    /// ZIP64 extended information: the fields present replace the 0xFFFFFFFF ones, in order.
    private func applyZip64Extra(_ range: Range<Int>, of name: String,
                                 to sizes: inout (compressed: UInt64, uncompressed: UInt64, localOffset: UInt64)) throws {
        var extra = range.lowerBound
        while extra + 4 <= range.upperBound {
            guard let id = bytes.le16(extra), let size = bytes.le16(extra + 2), extra + 4 + size <= range.upperBound else {
                throw corrupt("entry '\(name)' has a truncated extra field")
            }
            if id == 0x0001 {
                var field = extra + 4
                func take() throws -> UInt64 {
                    guard field + 8 <= extra + 4 + size, let v = bytes.le64(field) else {
                        throw corrupt("entry '\(name)' has a short ZIP64 extra field")
                    }
                    field += 8
                    return v
                }
                if sizes.uncompressed == 0xFFFF_FFFF { sizes.uncompressed = try take() }
                if sizes.compressed == 0xFFFF_FFFF { sizes.compressed = try take() }
                if sizes.localOffset == 0xFFFF_FFFF { sizes.localOffset = try take() }
            }
            extra += 4 + size
        }
    }

    /// Where the entry's data starts: after its local header, whose own name and extra
    /// field lengths count (torch pads the extra field to align the data).
    private func dataOffset(of name: String, localHeader local: Int, compressed: Int) throws -> Int {
        guard local <= bytes.count - 30, bytes.le32(local) == Self.localSignature,
              let localNameLength = bytes.le16(local + 26), let localExtraLength = bytes.le16(local + 28) else {
            throw corrupt("entry '\(name)' has no local header at offset \(local)")
        }
        let dataOffset = local + 30 + localNameLength + localExtraLength
        guard dataOffset <= bytes.count, compressed <= bytes.count - dataOffset else {
            throw corrupt("entry '\(name)' data (\(compressed) bytes at offset \(dataOffset)) runs past the end of the file")
        }
        return dataOffset
    }

    /// No two entries may share bytes: overlapping entries are how a few KB of
    /// deflated data is made to inflate once per entry (the "overlapping zip bomb"),
    /// and how one archive shows different readers different contents. torch never writes them.
    func checkNoOverlap(_ entries: [ZipEntry]) throws {
        let byPosition = entries.sorted { $0.localOffset < $1.localOffset }
        for (a, b) in zip(byPosition, byPosition.dropFirst()) where a.dataOffset + a.compressedSize > b.localOffset {
            throw corrupt("entries '\(a.name)' (bytes \(a.localOffset)..<\(a.dataOffset + a.compressedSize)) and '\(b.name)' (from byte \(b.localOffset)) overlap")
        }
    }
}
