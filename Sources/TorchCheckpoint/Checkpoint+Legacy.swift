/// The stream torch.save wrote before 1.6 (`_use_new_zipfile_serialization=False`):
/// five pickles (magic number, protocol 1001, sys_info, the object with
/// 6-tuple storage ids, the list of storage keys), then each storage as an
/// 8-byte element count followed by its raw bytes.
enum LegacyFormat {
    /// 0x1950a86a20f9469cfc6c as pickle's little-endian LONG1 payload.
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    static func looksLikeLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // PROTO n, LONG1 10 <magic>
        guard bytes.count >= 14, bytes[0] == 0x80, bytes[2] == 0x8A, bytes[3] == 10 else { return false }
        return Array(bytes[4..<14]) == magic
    }
}

extension Checkpoint {
    static func parseLegacy(_ file: MappedFile, limits: ReadLimits, options: ReadOptions) throws -> ParsedCheckpoint {
        let arena = PickleArena()
        do {
            return try parseLegacy(file, limits: limits, options: options, arena: arena)
        } catch {
            arena.release()
            throw error
        }
    }

    private static func parseLegacy(_ file: MappedFile, limits: ReadLimits, options: ReadOptions,
                                    arena: PickleArena) throws -> ParsedCheckpoint {
        let path = file.path
        let bytes = file.bytes
        func corrupt(_ reason: String) -> CheckpointError { .corruptLegacy(file: path, reason: reason) }
        let noPersistentIds: (PickleValue, Int) throws -> PickleValue = { _, offset in
            throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "persistent id in a header pickle")
        }

        // Each pickle runs over the file up to maxPickleBytes past its start, not
        // over the whole file: the storages' raw bytes follow the pickles, so a
        // legacy checkpoint is as large as its weights, and the pickle limit
        // must bound the pickles, not the file. Offsets stay file offsets.
        func window(from start: Int) -> UnsafeRawBufferPointer {
            let end = start <= bytes.count - limits.maxPickleBytes ? start + limits.maxPickleBytes : bytes.count
            return UnsafeRawBufferPointer(rebasing: bytes[0..<max(end, 0)])
        }

        var header = PickleMachine(file: path, limits: limits, arena: arena, persistentLoad: noPersistentIds)
        let (magic, afterMagic) = try header.run(window(from: 0), from: 0)
        guard case let .bigInt(magicBytes) = magic, magicBytes == LegacyFormat.magic else { throw corrupt("bad magic number") }
        let (version, afterVersion) = try header.run(window(from: afterMagic), from: afterMagic)
        guard case .int(LegacyFormat.protocolVersion) = version else { throw corrupt("protocol version is not \(LegacyFormat.protocolVersion)") }
        // sys_info ({'little_endian': ..., 'type_sizes': ...}) is informational:
        // torch writes every storage size and element little-endian whatever
        // the machine, and reads them back as little-endian ignoring sys_info
        // (THPStorage_readFileRaw), so a file claiming big-endian must not be
        // byte-swapped here either.
        let (_, afterSysInfo) = try header.run(window(from: afterVersion), from: afterVersion)
        let isBigEndian = false

        // Persistent ids: ('storage', storage_type, root_key, location, numel, view_metadata).
        var roots: [String: (dtype: DType, count: Int)] = [:]
        var views: [String: StorageRecord] = [:]
        var machine = PickleMachine(file: path, limits: limits, arena: arena) { id, offset in
            if case let .tuple(parts) = id, parts.count > 1, case let .global(.unsupportedTensor(name, kind)) = parts[1] {
                throw CheckpointError.unsupportedTensorKind(file: path, global: name, kind: kind, offset: offset)
            }
            guard case let .tuple(parts) = id, parts.count == 6, case .string("storage") = parts[0],
                  case let .global(.storageClass(storageDType)) = parts[1], let dtype = storageDType,
                  case let .string(rootKey) = parts[2], case let .int(count) = parts[4], count >= 0 else {
                throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "persistent id is not ('storage', <storage class>, key, location, numel, view)")
            }
            let location: String
            if case let .string(text) = parts[3] { location = text } else { location = "cpu" }
            if let known = roots[rootKey] {
                guard known.dtype == dtype, known.count == count else {
                    throw CheckpointError.invalidTensor(file: path, name: "storage \(rootKey)",
                        reason: "referenced as \(known.count) \(known.dtype.rawValue) and as \(count) \(dtype.rawValue)")
                }
            } else {
                // torch keeps roots and views in one table, so a key naming both
                // would alias one storage as the other: refused, not guessed.
                guard views[rootKey] == nil else {
                    throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "storage key '\(rootKey)' names both a storage view and a root storage")
                }
                roots[rootKey] = (dtype, count)
            }
            guard case let .tuple(view) = parts[5] else {
                return .storage(StorageRecord(key: rootKey, dtype: dtype, count: count, location: location))
            }
            guard view.count == 3, case let .string(viewKey) = view[0], case let .int(viewOffset) = view[1],
                  case let .int(viewCount) = view[2], viewOffset >= 0, viewCount >= 0,
                  viewOffset <= count, viewCount <= count - viewOffset else {
                throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "storage view metadata does not fit its root storage of \(count) elements")
            }
            if let known = views[viewKey] { return .storage(known) }
            guard roots[viewKey] == nil else {
                throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "storage key '\(viewKey)' names both a storage view and a root storage")
            }
            let record = StorageRecord(key: viewKey, dtype: dtype, count: viewCount, location: location, rootKey: rootKey, rootOffset: viewOffset)
            views[viewKey] = record
            return .storage(record)
        }
        machine.options = options
        let (root, afterObject) = try machine.run(window(from: afterSysInfo), from: afterSysInfo)
        var keyMachine = PickleMachine(file: path, limits: limits, arena: arena, persistentLoad: noPersistentIds)
        let (keyList, afterKeys) = try keyMachine.run(window(from: afterObject), from: afterObject)
        guard case let .list(keys) = keyList else { throw corrupt("the storage key list is a \(keyList.kindName)") }

        var ranges: [String: Range<Int>] = [:]
        var cursor = afterKeys
        for item in keys.items {
            guard case let .string(key) = item, let storage = roots[key] else {
                throw corrupt("storage key list names a storage the object does not use")
            }
            guard ranges[key] == nil else { throw corrupt("storage '\(key)' is listed twice") }
            guard let rawCount = bytes.le64(cursor) else { throw corrupt("storage '\(key)' is truncated before its size") }
            let count = rawCount
            guard count == UInt64(storage.count) else {
                throw corrupt("storage '\(key)' holds \(count) elements; the pickle says \(storage.count)")
            }
            let (length, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.itemSize)
            let start = cursor + 8
            guard !overflow, length <= bytes.count - start else {
                throw corrupt("storage '\(key)' (\(storage.count) \(storage.dtype.rawValue)) runs past the end of the file")
            }
            ranges[key] = start..<(start + length)
            cursor = start + length
        }
        for key in roots.keys where ranges[key] == nil {
            throw CheckpointError.missingStorage(file: path, key: key)
        }
        return ParsedCheckpoint(format: .legacy, isBigEndian: isBigEndian, root: root, storages: .legacy(ranges: ranges),
                                arena: arena)
    }
}
