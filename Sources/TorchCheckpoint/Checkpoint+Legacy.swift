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

    /// The five pickles in order (header, object, storage keys), each over its own
    /// window of the file, then the raw storages that follow them.
    private static func parseLegacy(_ file: MappedFile, limits: ReadLimits, options: ReadOptions,
                                    arena: PickleArena) throws -> ParsedCheckpoint {
        let stream = LegacyStream(file: file, limits: limits, arena: arena)
        let afterHeader = try stream.readHeader()
        let storages = LegacyStorageTable(path: file.path)
        var machine = PickleMachine(file: file.path, limits: limits, arena: arena) { id, offset in
            try storages.load(id, offset: offset)
        }
        machine.options = options
        let (root, afterObject) = try machine.run(stream.window(from: afterHeader), from: afterHeader)
        let (keys, afterKeys) = try stream.readStorageKeys(from: afterObject)
        let ranges = try stream.locateStorages(keys, of: storages, from: afterKeys)
        // sys_info ({'little_endian': ..., 'type_sizes': ...}) is informational:
        // torch writes every storage size and element little-endian whatever
        // the machine, and reads them back as little-endian ignoring sys_info
        // (THPStorage_readFileRaw), so a file claiming big-endian must not be
        // byte-swapped here either.
        return ParsedCheckpoint(format: .legacy, isBigEndian: false, root: root, storages: .legacy(ranges: ranges),
                                arena: arena)
    }
}

/// Reading a legacy stream's pickles and storages from the mapped file.
private struct LegacyStream {
    let file: MappedFile
    let limits: ReadLimits
    let arena: PickleArena

    var path: String { file.path }
    func corrupt(_ reason: String) -> CheckpointError { .corruptLegacy(file: path, reason: reason) }

    /// The file from its start up to `maxPickleBytes` past `start`: each pickle runs
    /// over its own window, not the whole file, because the storages' raw bytes follow
    /// the pickles, so a legacy checkpoint is as large as its weights, and the pickle
    /// limit must bound the pickles, not the file. Offsets stay file offsets.
    func window(from start: Int) -> UnsafeRawBufferPointer {
        let bytes = file.bytes
        let end = start <= bytes.count - limits.maxPickleBytes ? start + limits.maxPickleBytes : bytes.count
        return UnsafeRawBufferPointer(rebasing: bytes[0..<max(end, 0)])
    }

    /// A machine for the pickles that may not name storages.
    private func headerMachine() -> PickleMachine {
        let path = path
        return PickleMachine(file: path, limits: limits, arena: arena) { _, offset in
            throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "persistent id in a header pickle")
        }
    }

    /// The magic number, the protocol version and sys_info; returns where the object pickle starts.
    func readHeader() throws -> Int {
        var header = headerMachine()
        let (magic, afterMagic) = try header.run(window(from: 0), from: 0)
        guard case let .bigInt(magicBytes) = magic, magicBytes == LegacyFormat.magic else { throw corrupt("bad magic number") }
        let (version, afterVersion) = try header.run(window(from: afterMagic), from: afterMagic)
        guard case .int(LegacyFormat.protocolVersion) = version else { throw corrupt("protocol version is not \(LegacyFormat.protocolVersion)") }
        let (_, afterSysInfo) = try header.run(window(from: afterVersion), from: afterVersion)
        return afterSysInfo
    }

    /// The list of storage keys after the object; returns it and where the storages start.
    func readStorageKeys(from start: Int) throws -> (PickleList, Int) {
        var keyMachine = headerMachine()
        let (keyList, afterKeys) = try keyMachine.run(window(from: start), from: start)
        guard case let .list(keys) = keyList else { throw corrupt("the storage key list is a \(keyList.kindName)") }
        return (keys, afterKeys)
    }

    /// Each listed storage's bytes: an 8-byte element count that must match the
    /// pickle's, then the elements. Every root storage the object uses must be listed.
    func locateStorages(_ keys: PickleList, of storages: LegacyStorageTable, from start: Int) throws -> [String: Range<Int>] {
        let bytes = file.bytes
        var ranges: [String: Range<Int>] = [:]
        var cursor = start
        for item in keys.items {
            guard case let .string(key) = item, let storage = storages.roots[key] else {
                throw corrupt("storage key list names a storage the object does not use")
            }
            guard ranges[key] == nil else { throw corrupt("storage '\(key)' is listed twice") }
            guard let count = bytes.le64(cursor) else { throw corrupt("storage '\(key)' is truncated before its size") }
            guard count == UInt64(storage.count) else {
                throw corrupt("storage '\(key)' holds \(count) elements; the pickle says \(storage.count)")
            }
            let (length, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.itemSize)
            let dataStart = cursor + 8
            guard !overflow, length <= bytes.count - dataStart else {
                throw corrupt("storage '\(key)' (\(storage.count) \(storage.dtype.rawValue)) runs past the end of the file")
            }
            ranges[key] = dataStart..<(dataStart + length)
            cursor = dataStart + length
        }
        for key in storages.roots.keys where ranges[key] == nil {
            throw CheckpointError.missingStorage(file: path, key: key)
        }
        return ranges
    }
}

/// The storages a legacy object pickle names by persistent id
/// `('storage', storage_type, root_key, location, numel, view_metadata)`: root
/// storages, and views `(view_key, offset, numel)` into them. torch keeps roots and
/// views in one table, so a key naming both would alias one storage as the other:
/// refused, not guessed.
final class LegacyStorageTable {
    let path: String
    private(set) var roots: [String: (dtype: DType, count: Int)] = [:]
    private var views: [String: StorageRecord] = [:]

    init(path: String) { self.path = path }

    func load(_ id: PickleValue, offset: Int) throws -> PickleValue {
        let shape = "('storage', <storage class>, key, location, numel, view)"
        let id = try StoragePersistentID(id, parts: 6, shape: shape, file: path, offset: offset)
        // Legacy files predate untyped storages.
        guard let dtype = id.dtype else {
            throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "persistent id is not \(shape)")
        }
        let rootKey = id.key, count = id.count
        if let known = roots[rootKey] {
            try id.checkAgrees(withDType: known.dtype, count: known.count, storage: rootKey, file: path)
        } else {
            guard views[rootKey] == nil else { throw bothKinds(rootKey, offset) }
            roots[rootKey] = (dtype, count)
        }
        guard case let .tuple(view) = id.rest[0] else {
            return .storage(StorageRecord(key: rootKey, dtype: dtype, count: count, location: id.location))
        }
        guard view.count == 3, case let .string(viewKey) = view[0], case let .int(viewOffset) = view[1],
              case let .int(viewCount) = view[2], viewOffset >= 0, viewCount >= 0,
              viewOffset <= count, viewCount <= count - viewOffset else {
            throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "storage view metadata does not fit its root storage of \(count) elements")
        }
        if let known = views[viewKey] { return .storage(known) }
        guard roots[viewKey] == nil else { throw bothKinds(viewKey, offset) }
        let record = StorageRecord(key: viewKey, dtype: dtype, count: viewCount, location: id.location,
                                   rootKey: rootKey, rootOffset: viewOffset)
        views[viewKey] = record
        return .storage(record)
    }

    private func bothKinds(_ key: String, _ offset: Int) -> CheckpointError {
        .corruptPickle(file: path, offset: offset, reason: "storage key '\(key)' names both a storage view and a root storage")
    }
}
