import Foundation
internal import CZip

/// Writes a `.pt` zip checkpoint in torch's own layout with libzip:
/// `<top>/data.pkl` (protocol 2, `_rebuild_tensor_v2`), `<top>/byteorder`,
/// `<top>/version`, `<top>/.format_version`, `<top>/.storage_alignment` and one
/// stored `<top>/data/<key>` record per tensor, each aligned to 64 bytes so
/// `torch.load(mmap=True)` can map it. Tensors are produced one at a time
/// while libzip writes, so memory holds one tensor at a time.
public enum TorchZipWriter {
    /// Bytes the data records are aligned to (torch's default).
    public static let alignment = 64

    /// Writes `tensors` as a flat state_dict, atomically: the archive is
    /// written to a temporary file beside `path` and renamed onto it when
    /// complete, so `path` holds either its previous contents or the whole new
    /// archive, and nothing is left behind when writing fails.
    /// - Parameters:
    ///   - tensors: written in this order, each under its name; names must be distinct.
    ///   - path: the `.pt` file to write.
    ///   - topFolder: the archive's top folder; torch uses the file's stem.
    ///   - progress: called with the tensor bytes written so far.
    /// - Throws: `WriteError` (`.duplicateName`, `.invalidShape` before anything
    ///   is written; every dtype has a storage class, so none is refused; `.io`, `.sizeMismatch`),
    ///   or whatever a tensor's `bytes()` throws.
    public static func write(_ tensors: [ExportTensor], to path: String, topFolder: String? = nil,
                             progress: (@Sendable (Int) -> Void)? = nil) throws {
        let records = try records(for: tensors, path: path, topFolder: topFolder)
        try AtomicFile.write(to: path) { temporary in
            try write(records, to: temporary, reportedAs: path, progress: progress)
        }
    }

    typealias Records = [(name: String, source: RecordSource)]

    /// Validates `tensors` and lays out the archive's records (nothing is produced yet).
    static func records(for tensors: [ExportTensor], path: String, topFolder: String?) throws -> Records {
        var seen: Set<String> = []
        var total = 0
        for tensor in tensors {
            guard seen.insert(tensor.name).inserted else { throw WriteError.duplicateName(file: path, name: tensor.name) }
            // Checked here so the offsets computed below cannot overflow (headers add far less than the margin).
            let (sum, overflow) = total.addingReportingOverflow(try tensor.checkedByteCount(file: path))
            guard !overflow, sum <= Int.max / 2 else { throw WriteError.invalidShape(file: path, name: tensor.name, shape: tensor.shape) }
            total = sum
        }
        let top = topFolder ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let pickle = PickleWriter.stateDict(tensors.map { ($0.name, $0.dtype, $0.shape) })

        var records: Records = [
            (top + "/data.pkl", .bytes(pickle)),
            (top + "/.format_version", .bytes(Array("1".utf8))),
            (top + "/.storage_alignment", .bytes(Array(String(alignment).utf8))),
            (top + "/byteorder", .bytes(Array("little".utf8))),
        ]
        for (index, tensor) in tensors.enumerated() {
            records.append((top + "/data/\(index)", .tensor(tensor)))
        }
        records.append((top + "/version", .bytes(Array("3\n".utf8))))
        return records
    }

    /// Writes the archive at `temporary` and checks its alignment; errors name `path`.
    static func write(_ records: Records, to temporary: String, reportedAs path: String,
                      progress: (@Sendable (Int) -> Void)?) throws {
        try writeArchive(records, to: temporary, reportedAs: path, progress: progress)
        try verifyAlignment(temporary, reportedAs: path)
    }

    /// The archive's records, each stored and padded to the alignment, written by libzip to `temporary`.
    private static func writeArchive(_ records: Records, to temporary: String, reportedAs path: String,
                                     progress: (@Sendable (Int) -> Void)?) throws {
        var errorCode: Int32 = 0
        guard let archive = zip_open(temporary, ZIP_CREATE | ZIP_EXCL, &errorCode) else {
            var error = zip_error_t()
            zip_error_init_with_code(&error, errorCode)
            defer { zip_error_fini(&error) }
            throw WriteError.io(file: path, reason: "libzip cannot create the archive: \(String(cString: zip_error_strerror(&error)))")
        }
        let counter = ProgressCounter(file: path, report: progress)
        var offset = 0  // where the next local header will start
        do {
            for record in records {
                let size = record.source.size
                let box = SourceBox(source: record.source, counter: counter)
                var error = zip_error_t()
                zip_error_init(&error)
                guard let source = zip_source_function_create(sourceCallback, Unmanaged.passRetained(box).toOpaque(), &error) else {
                    zip_error_fini(&error)
                    throw WriteError.io(file: path, reason: "libzip cannot create a source for '\(record.name)'")
                }
                zip_error_fini(&error)
                let index = zip_file_add(archive, record.name, source, zip_flags_t(ZIP_FL_ENC_UTF_8))
                guard index >= 0 else {
                    zip_source_free(source)
                    throw WriteError.io(file: path, reason: "libzip cannot add '\(record.name)': \(String(cString: zip_strerror(archive)))")
                }
                zip_set_file_compression(archive, zip_uint64_t(index), ZIP_CM_STORE, 0)
                zip_file_set_mtime(archive, zip_uint64_t(index), 0, 0)
                // Pad the local header's extra field ("FB", as torch does) so the data starts aligned.
                let nameLength = record.name.utf8.count
                let headerWithoutPadding = 30 + nameLength + 4
                let padding = (alignment - (offset + headerWithoutPadding) % alignment) % alignment
                let zeros = [zip_uint8_t](repeating: 0, count: padding)
                let status = zeros.withUnsafeBufferPointer {
                    zip_file_extra_field_set(archive, zip_uint64_t(index), 0x4246, zip_uint16_t(ZIP_EXTRA_FIELD_NEW),
                                             $0.baseAddress, zip_uint16_t(padding), zip_flags_t(ZIP_FL_LOCAL))
                }
                guard status == 0 else { throw WriteError.io(file: path, reason: "libzip cannot pad '\(record.name)'") }
                offset += headerWithoutPadding + padding + size
            }
        } catch {
            zip_discard(archive)
            throw error
        }
        if zip_close(archive) != 0 {
            let message = String(cString: zip_strerror(archive))
            zip_discard(archive)
            if let failure = counter.failure { throw failure }
            throw WriteError.io(file: path, reason: "libzip could not write the archive: \(message)")
        }
    }

    /// Re-reads the central directory: every data record must start on the
    /// alignment, or the file is not what torch would write.
    private static func verifyAlignment(_ temporary: String, reportedAs path: String) throws {
        let archive: ZipArchive
        do {
            archive = try ZipArchive(file: try MappedFile(path: temporary), limits: .default)
        } catch {
            throw WriteError.io(file: path, reason: "the written archive does not read back: \(error.localizedDescription)")
        }
        for entry in archive.entries where entry.name.contains("/data/") && entry.dataOffset % alignment != 0 {
            throw WriteError.io(file: path, reason: "record '\(entry.name)' landed at offset \(entry.dataOffset), not a multiple of \(alignment)")
        }
    }
}

// MARK: - libzip source callbacks

enum RecordSource {
    case bytes([UInt8])
    case tensor(ExportTensor)

    var size: Int {
        switch self {
        case let .bytes(b): return b.count
        case let .tensor(t): return t.byteCount
        }
    }
}

/// Counts tensor bytes handed to libzip and remembers the first failure.
final class ProgressCounter: @unchecked Sendable {
    let report: (@Sendable (Int) -> Void)?
    /// The destination, for error messages.
    let file: String
    var written = 0
    var failure: (any Error)?
    init(file: String, report: (@Sendable (Int) -> Void)?) {
        self.file = file
        self.report = report
    }
}

/// State of one record's source: the bytes are produced on OPEN and freed on CLOSE.
final class SourceBox {
    let source: RecordSource
    let counter: ProgressCounter
    var buffer = TensorBytes([])
    var position = 0
    init(source: RecordSource, counter: ProgressCounter) {
        self.source = source
        self.counter = counter
    }
}

private let sourceCallback: zip_source_callback = { userdata, data, length, command in
    guard let userdata else { return -1 }
    let box = Unmanaged<SourceBox>.fromOpaque(userdata).takeUnretainedValue()
    switch command {
    case ZIP_SOURCE_OPEN:
        do {
            switch box.source {
            case let .bytes(b): box.buffer = TensorBytes(b)
            case let .tensor(t):
                box.buffer = try t.export()
                guard box.buffer.count == t.byteCount else {
                    box.buffer.release()
                    throw WriteError.sizeMismatch(file: box.counter.file, name: t.name, expected: t.byteCount, produced: box.buffer.count)
                }
            }
            box.position = 0
            return 0
        } catch {
            box.counter.failure = box.counter.failure ?? error
            return -1
        }
    case ZIP_SOURCE_READ:
        guard let data else { return -1 }
        let n = min(Int(length), box.buffer.count - box.position)
        if n > 0 {
            box.buffer.withUnsafeBytes { raw in
                if let base = raw.baseAddress { data.copyMemory(from: base + box.position, byteCount: n) }
            }
        }
        box.position += n
        if case .tensor = box.source, n > 0 {
            box.counter.written += n
            box.counter.report?(box.counter.written)
        }
        return zip_int64_t(n)
    case ZIP_SOURCE_CLOSE:
        box.buffer.release()
        box.buffer = TensorBytes([])
        return 0
    case ZIP_SOURCE_STAT:
        guard let data, length >= MemoryLayout<zip_stat_t>.size else { return -1 }
        let stat = data.assumingMemoryBound(to: zip_stat_t.self)
        zip_stat_init(stat)
        stat.pointee.valid = zip_uint64_t(ZIP_STAT_SIZE)
        stat.pointee.size = zip_uint64_t(box.source.size)
        return zip_int64_t(MemoryLayout<zip_stat_t>.size)
    case ZIP_SOURCE_ERROR:
        guard let data, length >= 2 * MemoryLayout<Int32>.size else { return -1 }
        let codes = data.assumingMemoryBound(to: Int32.self)
        codes[0] = ZIP_ER_READ
        codes[1] = 0
        return zip_int64_t(2 * MemoryLayout<Int32>.size)
    case ZIP_SOURCE_FREE:
        Unmanaged<SourceBox>.fromOpaque(userdata).release()
        return 0
    case ZIP_SOURCE_SUPPORTS:
        let commands: [zip_source_cmd_t] = [ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                            ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, ZIP_SOURCE_SUPPORTS]
        return commands.reduce(zip_int64_t(0)) { $0 | (zip_int64_t(1) << zip_int64_t($1.rawValue)) }
    default:
        return -1
    }
}
