import Foundation

/// Writes Hugging Face safetensors files.
///
/// The output is exactly the format: an 8-byte little-endian header length,
/// the JSON header (compact, as the reference implementation writes it:
/// `__metadata__` first when given, with its keys sorted; then one
/// `"name":{"dtype":"F32","shape":[2,3],"data_offsets":[begin,end]}` per tensor
/// in the given order), padded with spaces so the data section starts at a
/// multiple of 8, then every tensor's bytes back to back in the same order.
/// For tensors given in the reference implementation's order (by descending
/// alignment, then by name) the file is byte-for-byte what Python's
/// `safetensors.torch.save_file` writes.
public enum SafetensorsWriter {
    /// Writes `tensors` to `path`, replacing any file there, atomically: the
    /// file is written to a temporary file beside `path` and renamed onto it
    /// when complete, so `path` holds either its previous contents or the
    /// whole new file, and nothing is left behind when writing fails.
    ///
    /// Streams: after the header, each tensor's bytes are produced in turn and
    /// written (in chunks of `chunkBytes`) before the next is produced, so
    /// memory holds one tensor at a time.
    ///
    /// - Parameters:
    ///   - tensors: written in this order; names must be distinct and not
    ///     `__metadata__`; each `bytes()` must return exactly the tensor's byte
    ///     count, contiguous, row-major and little-endian.
    ///   - path: the `.safetensors` file to write.
    ///   - metadata: the header's `__metadata__` map (omitted when nil).
    ///   - progress: called after each tensor with the tensor bytes written so
    ///     far (reaching the sum of the tensors' byte counts).
    /// - Throws: `WriteError`: `.duplicateName`, `.reservedName`,
    ///   `.unsupportedDType` (complex128 has no safetensors dtype),
    ///   `.invalidShape` (a negative or overflowing shape), `.headerTooLarge`
    ///   (over the format's 100 MB cap) — all before anything is written —
    ///   then `.sizeMismatch` or `.io` (a failed system call); or whatever a
    ///   tensor's `bytes()` throws.
    public static func write(_ tensors: [ExportTensor], metadata: [String: String]? = nil, to path: String,
                             progress: ((Int) -> Void)? = nil) throws {
        let layout = try plan(tensors, metadata: metadata, path: path)
        try AtomicFile.write(to: path) { temporary in
            try write(tensors, layout: layout, to: temporary, reportedAs: path, progress: progress)
        }
    }

    /// Writes a planned file at `temporary`; errors name `path`.
    static func write(_ tensors: [ExportTensor], layout: (header: [UInt8], byteCounts: [Int]), to temporary: String,
                      reportedAs path: String, progress: ((Int) -> Void)?) throws {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError.io(file: path, reason: "cannot create the file: \(String(cString: strerror(errno)))") }
        do {
            try layout.header.withUnsafeBytes { try ChunkedOutput.writeAll(fd, $0, path: path) }
            var written = 0
            for (tensor, byteCount) in zip(tensors, layout.byteCounts) {
                let bytes = try tensor.export()
                defer { bytes.release() }
                guard bytes.count == byteCount else {
                    throw WriteError.sizeMismatch(file: path, name: tensor.name, expected: byteCount, produced: bytes.count)
                }
                try bytes.withUnsafeBytes { try ChunkedOutput.writeAll(fd, $0, path: path) }
                written += byteCount
                progress?(written)
            }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else {
            throw WriteError.io(file: path, reason: "closing the file failed: \(String(cString: strerror(errno)))")
        }
    }

    // MARK: Header

    /// The complete header (length field, JSON, padding) and each tensor's byte count.
    static func plan(_ tensors: [ExportTensor], metadata: [String: String]?, path: String) throws -> (header: [UInt8], byteCounts: [Int]) {
        var json: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separate() {
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
        }
        if let metadata {
            separate()
            appendString(SafetensorsHeader.metadataKey, to: &json)
            json.append(contentsOf: Array(":{".utf8))
            for (index, key) in metadata.keys.sorted().enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                appendString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                appendString(metadata[key] ?? "", to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }

        var seen: Set<String> = []
        var byteCounts: [Int] = []
        byteCounts.reserveCapacity(tensors.count)
        var offset = 0
        for tensor in tensors {
            guard tensor.name != SafetensorsHeader.metadataKey else {
                throw WriteError.reservedName(file: path, name: tensor.name)
            }
            guard seen.insert(tensor.name).inserted else { throw WriteError.duplicateName(file: path, name: tensor.name) }
            guard let dtypeName = tensor.dtype.safetensorsName else {
                throw WriteError.unsupportedDType(file: path, name: tensor.name, dtype: tensor.dtype, format: "safetensors")
            }
            let count = try tensor.checkedByteCount(file: path)
            let (end, overflow) = offset.addingReportingOverflow(count)
            guard !overflow else { throw WriteError.invalidShape(file: path, name: tensor.name, shape: tensor.shape) }

            separate()
            appendString(tensor.name, to: &json)
            json.append(contentsOf: Array(":{\"dtype\":".utf8))
            appendString(dtypeName, to: &json)
            json.append(contentsOf: Array(",\"shape\":[".utf8))
            json.append(contentsOf: Array(tensor.shape.map(String.init).joined(separator: ",").utf8))
            json.append(contentsOf: Array("],\"data_offsets\":[\(offset),\(end)]}".utf8))
            byteCounts.append(count)
            offset = end
        }
        json.append(UInt8(ascii: "}"))
        // Spaces so that 8 + header length is a multiple of 8.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        guard json.count <= SafetensorsHeader.maxHeaderBytes else {
            throw WriteError.headerTooLarge(file: path, bytes: json.count, limit: SafetensorsHeader.maxHeaderBytes)
        }
        var header: [UInt8] = []
        header.reserveCapacity(8 + json.count)
        let length = UInt64(json.count)
        for i in 0..<8 { header.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        header.append(contentsOf: json)
        return (header, byteCounts)
    }

    /// A JSON string literal, escaped as serde_json escapes it: `"`, `\` and
    /// control characters (`\b \f \n \r \t`, others as `\u00XX`); all other
    /// characters as raw UTF-8. The package's one JSON string escaper (ptconvert's JSON output uses it too).
    package static func appendString(_ string: String, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): json.append(contentsOf: [0x5C, 0x5C])
            case 0x08: json.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: json.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: json.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: json.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: json.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                json.append(contentsOf: Array("\\u00".utf8))
                json.append(digits[Int(byte >> 4)])
                json.append(digits[Int(byte & 0xF)])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}
