/// The validated header of a safetensors file: every tensor's dtype, shape and
/// byte range, checked against each other and against the data section.
///
/// The checks follow the format and the reference implementation: the header
/// length fits the file and the 100 MB cap; the header is UTF-8 JSON (parsed
/// strictly: duplicate keys are refused); it is an object whose
/// `__metadata__` member, if any, maps strings to strings and whose other
/// members are `{"dtype", "shape", "data_offsets": [begin, end]}`; every
/// shape's byte size equals `end - begin` (checked arithmetic); and the
/// ranges, sorted, tile the data section exactly: no overlap, no hole, nothing
/// outside it, nothing left over.
struct SafetensorsHeader {
    struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        /// Row-major strides in elements: each the product of the later extents
        /// (so `StoredTensor.isContiguous` holds for empty tensors too).
        let strides: [Int]
        /// Byte range relative to the data section.
        let begin: Int
        let end: Int
        /// Position in the header, to order empty tensors that share an offset.
        let headerIndex: Int
    }

    /// Entries in data-offset order (the file order).
    let entries: [Entry]
    let metadata: [String: String]
    /// Offset of the data section in the file (8 + header length).
    let dataOffset: Int

    /// The format's cap on the header length (the reference implementation's `MAX_HEADER_SIZE`).
    static let maxHeaderBytes = 100_000_000
    static let metadataKey = "__metadata__"
    /// Deepest JSON nesting accepted: serde_json's recursion limit, so the
    /// reference implementation refuses deeper headers too. A valid header
    /// nests 3 deep; only unknown extra fields could go further.
    static let maxJSONDepth = 128

    // MARK: Parsing

    static func parse(_ file: UnsafeRawBufferPointer, path: String, limits: ReadLimits) throws -> SafetensorsHeader {
        func malformed(_ reason: String) -> CheckpointError { .malformedSafetensors(file: path, reason: reason) }

        guard let length = file.le64(0) else {
            throw malformed("the file is \(file.count) bytes; a safetensors file starts with an 8-byte header length")
        }
        guard length <= UInt64(maxHeaderBytes) else {
            throw CheckpointError.limitExceeded(file: path, what: "the safetensors header length (\(length) bytes)", limit: maxHeaderBytes)
        }
        let headerLength = Int(length)
        let available = file.count - 8
        guard headerLength <= available else {
            throw malformed("header length \(headerLength) exceeds the \(available) bytes that follow the length field")
        }
        let dataOffset = 8 + headerLength
        let dataSize = file.count - dataOffset
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<dataOffset])

        let root: JSONValue
        do throws(StrictJSONError) {
            root = try StrictJSON.parse(headerBytes, maxDepth: min(limits.maxDepth, maxJSONDepth))
        } catch {
            switch error {
            case let .syntax(offset, reason):
                let what = reason == StrictJSON.invalidUTF8 ? "the header is not valid UTF-8" : "the header is not valid JSON"
                throw malformed("\(what): \(reason) at byte \(offset) of the header")
            case let .duplicateKey(offset, key):
                throw malformed("duplicate key '\(key)' at byte \(offset) of the header (the format forbids duplicate keys)")
            case let .tooDeep(offset, limit):
                throw CheckpointError.limitExceeded(file: path, what: "the header's JSON nesting (at byte \(offset))", limit: limit)
            }
        }
        guard case let .object(members) = root else {
            throw malformed("the header is not a JSON object (it is \(root.kind))")
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        for member in members {
            if member.key == metadataKey {
                metadata = try parseMetadata(member.value, path: path)
            } else {
                entries.append(try parseEntry(member, index: entries.count, dataSize: dataSize, path: path))
            }
        }

        // Sorted, the ranges must tile the data section: each starts where the
        // previous one ended (empty tensors share the offset), the last ends at
        // the end of the file.
        entries.sort { ($0.begin, $0.end, $0.headerIndex) < ($1.begin, $1.end, $1.headerIndex) }
        var covered = 0
        var previous: Entry?
        for entry in entries {
            if entry.begin < covered, let previous {
                throw CheckpointError.malformedSafetensorsEntry(file: path, name: entry.name,
                    reason: "data_offsets [\(entry.begin), \(entry.end)] overlap tensor '\(previous.name)' at [\(previous.begin), \(previous.end)]")
            }
            if entry.begin > covered {
                throw CheckpointError.malformedSafetensorsEntry(file: path, name: entry.name,
                    reason: "data_offsets [\(entry.begin), \(entry.end)] leave a hole: bytes \(covered)..<\(entry.begin) of the data section belong to no tensor")
            }
            covered = entry.end
            previous = entry
        }
        guard covered == dataSize else {
            throw malformed("the data section has \(dataSize) bytes but the tensors cover only the first \(covered): bytes \(covered)..<\(dataSize) belong to no tensor")
        }
        return SafetensorsHeader(entries: entries, metadata: metadata, dataOffset: dataOffset)
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
        switch value {
        case .null:
            return [:]  // the reference implementation accepts an explicit null
        case let .object(members):
            var metadata: [String: String] = [:]
            for member in members {
                guard case let .string(text) = member.value else {
                    throw CheckpointError.malformedSafetensors(file: path,
                        reason: "'\(metadataKey)' must map strings to strings, but '\(member.key)' is \(member.value.kind)")
                }
                metadata[member.key] = text
            }
            return metadata
        default:
            throw CheckpointError.malformedSafetensors(file: path,
                reason: "'\(metadataKey)' must be an object of strings, not \(value.kind)")
        }
    }

    private static func parseEntry(_ member: JSONMember, index: Int, dataSize: Int, path: String) throws -> Entry {
        let name = member.key
        func invalid(_ reason: String) -> CheckpointError {
            .malformedSafetensorsEntry(file: path, name: name, reason: reason)
        }
        guard case let .object(fields) = member.value else {
            throw invalid("expected an object with \"dtype\", \"shape\" and \"data_offsets\", found \(member.value.kind)")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let found = fields.first(where: { $0.key == key }) else { throw invalid("missing field '\(key)'") }
            return found.value
        }
        func nonNegative(_ value: JSONValue, _ what: String) throws -> Int {
            switch value.integer {
            case let .value(v): return v
            case let .negative(text): throw invalid("\(what) is negative (\(text))")
            case let .tooLarge(text): throw invalid("\(what) overflows (\(text))")
            case .notInteger:
                if case let .number(text) = value { throw invalid("\(what) must be an integer, not \(text)") }
                throw invalid("\(what) must be an integer, not \(value.kind)")
            }
        }

        // dtype
        guard case let .string(dtypeName) = try field("dtype") else {
            throw invalid("field 'dtype' must be a string, not \(try field("dtype").kind)")
        }
        guard let dtype = DType(safetensorsName: dtypeName) else {
            throw CheckpointError.unknownSafetensorsDType(file: path, name: name, dtype: dtypeName)
        }

        // shape
        guard case let .array(dimensions) = try field("shape") else {
            throw invalid("field 'shape' must be an array, not \(try field("shape").kind)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dimensions.count)
        for (axis, dimension) in dimensions.enumerated() {
            shape.append(try nonNegative(dimension, "dimension \(axis) of shape"))
        }
        let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        // Every product torch or this library forms from the shape must fit an
        // Int: the element and byte counts (product in order, as
        // `StoredTensor.elementCount` multiplies), the strides, and torch's
        // strides (which count zero extents as 1) -- all bounded by the product
        // of max(extent, 1).
        guard let elements = TensorShape.checkedElementCount(shape),
              let byteCount = TensorShape.byteCount(elements: elements, itemSize: dtype.itemSize),
              let strideBound = TensorShape.checkedElementCount(shape.map { max($0, 1) }),
              TensorShape.byteCount(elements: strideBound, itemSize: dtype.itemSize) != nil else {
            throw invalid("shape \(shapeText) overflows")
        }
        var strides = [Int](repeating: 1, count: shape.count)
        var stride = 1
        for axis in shape.indices.reversed() {
            strides[axis] = stride
            stride *= shape[axis]  // cannot overflow: bounded by strideBound above
        }

        // data_offsets
        guard case let .array(offsets) = try field("data_offsets") else {
            throw invalid("field 'data_offsets' must be an array [begin, end], not \(try field("data_offsets").kind)")
        }
        guard offsets.count == 2 else {
            throw invalid("field 'data_offsets' must hold exactly 2 integers [begin, end], not \(offsets.count)")
        }
        let begin = try nonNegative(offsets[0], "data_offsets begin")
        let end = try nonNegative(offsets[1], "data_offsets end")
        guard begin <= end else {
            throw invalid("data_offsets [\(begin), \(end)] end before they begin")
        }
        guard end - begin == byteCount else {
            throw invalid("shape \(shapeText) of dtype \(dtypeName) needs \(byteCount) bytes but data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        guard end <= dataSize else {
            throw invalid("data_offsets [\(begin), \(end)] lie outside the data section (\(dataSize) bytes)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, strides: strides, begin: begin, end: end, headerIndex: index)
    }
}
