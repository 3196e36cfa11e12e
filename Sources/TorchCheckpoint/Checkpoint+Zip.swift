import Foundation

/// The zip container torch.save writes since 1.6:
/// `<top>/data.pkl`, `<top>/data/<key>` records, `<top>/byteorder`,
/// `<top>/version` and a few bookkeeping records. `<top>` is named after the
/// file it was first saved as, so any name is accepted.
extension Checkpoint {
    static func parseZip(_ file: MappedFile, limits: ReadLimits, options: ReadOptions) throws -> ParsedCheckpoint {
        let path = file.path
        let archive = try ZipArchive(file: file, limits: limits)
        let pickles = archive.entries.filter {
            $0.name.hasSuffix("/data.pkl") && $0.name.dropLast("/data.pkl".count).firstIndex(of: "/") == nil
        }
        guard let pickleEntry = pickles.first else {
            let names = archive.entries.map(\.name)
            if let format = ForeignFormat.sniffZip(entryNames: names) {
                throw CheckpointError.notATorchCheckpoint(file: path, format: format)
            }
            // Name the entry torch would read: data.pkl in the archive's one top folder, if it has one.
            let folders = Set(names.compactMap { name in name.firstIndex(of: "/").map { String(name[..<$0]) } })
            let entry = folders.count == 1 ? folders.first.map { "\($0)/data.pkl" } : nil
            throw CheckpointError.missingEntry(file: path, entry: entry ?? "data.pkl")
        }
        guard pickles.count == 1 else {
            throw CheckpointError.corruptZip(file: path, reason: "several top folders hold a data.pkl: \(pickles.map(\.name).joined(separator: ", "))")
        }
        let top = String(pickleEntry.name.dropLast("data.pkl".count))

        var isBigEndian = false
        if let orderEntry = archive.entry(named: top + "byteorder") {
            let text = try ZipArchive.contents(of: orderEntry, in: file, limits: limits)
                .withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                .trimmingCharacters(in: .whitespacesAndNewlines)
            switch text {
            case "little": isBigEndian = false
            case "big": isBigEndian = true
            default: throw CheckpointError.corruptZip(file: path, reason: "byteorder record says '\(text.prefix(20))'; expected 'little' or 'big'")
            }
        }

        let storages = ZipStorageTable(archive: archive, path: path, top: top)
        let arena = PickleArena()
        do {
            var root = try runPickle(pickleEntry, in: file, limits: limits, options: options, arena: arena) {
                try storages.load($0, offset: $1, folder: "data/")
            }
            var flatNames = false
            if options.unknownGlobals == .placeholder, TorchScriptArchive.isTorchScript(archive, top: top) {
                // TorchScript: the state_dict, from the declared parameters and buffers.
                var script = TorchScriptArchive(archive: archive, file: file, top: top, limits: limits)
                var entries = try script.stateDict(of: root)
                if options.torchScriptConstants, let constantsEntry = archive.entry(named: top + "constants.pkl") {
                    let constants = try runPickle(constantsEntry, in: file, limits: limits, options: options, arena: arena) {
                        try storages.load($0, offset: $1, folder: "constants/")
                    }
                    entries += try script.namedConstants(constants)
                }
                root = TorchScriptArchive.flatDict(entries, arena: arena)
                flatNames = true
            }
            return ParsedCheckpoint(format: .zip, isBigEndian: isBigEndian, root: root, storages: .zip(entries: storages.entries),
                                    arena: arena, isFlatStateDict: flatNames)
        } catch {
            arena.release()
            throw error
        }
    }

    /// Runs one pickle entry of the archive to its end, resolving storages through `persistentLoad`.
    private static func runPickle(_ entry: ZipEntry, in file: MappedFile, limits: ReadLimits, options: ReadOptions,
                                  arena: PickleArena,
                                  persistentLoad: @escaping (PickleValue, Int) throws -> PickleValue) throws -> PickleValue {
        let name = String(entry.name.split(separator: "/").last ?? "")
        guard entry.uncompressedSize <= limits.maxPickleBytes else {
            throw CheckpointError.limitExceeded(file: file.path, what: "\(name) of \(entry.uncompressedSize) bytes", limit: limits.maxPickleBytes)
        }
        let pickle = try ZipArchive.contents(of: entry, in: file, limits: limits)
        var machine = PickleMachine(file: file.path, limits: limits, arena: arena, persistentLoad: persistentLoad)
        machine.options = options
        let (root, end) = try pickle.withUnsafeBytes { try machine.run($0) }
        guard end == pickle.count else {
            throw CheckpointError.corruptPickle(file: file.path, offset: end, reason: "\(pickle.count - end) bytes follow STOP in \(name)")
        }
        return root
    }
}

/// The storages a zip checkpoint's pickles name by persistent id
/// `('storage', storage_type, key, location, numel)`, each checked against its
/// record `<top>/<folder><key>` once. Records outside `data/` (TorchScript's
/// `constants/`) are keyed by folder and key, so their keys cannot collide.
final class ZipStorageTable {
    let archive: ZipArchive
    let path: String
    let top: String
    private var records: [String: StorageRecord] = [:]
    private(set) var entries: [String: ZipEntry] = [:]

    init(archive: ZipArchive, path: String, top: String) {
        self.archive = archive
        self.path = path
        self.top = top
    }

    func load(_ id: PickleValue, offset: Int, folder: String) throws -> PickleValue {
        let id = try StoragePersistentID(id, parts: 5, shape: "('storage', <storage class>, key, location, numel)",
                                         file: path, offset: offset)
        let recordKey = id.key, dtype = id.dtype, count = id.count
        let key = folder == "data/" ? recordKey : folder + recordKey
        if let known = records[key] {
            try id.checkAgrees(withDType: known.dtype, count: known.count, storage: key, file: path)
            return .storage(known)
        }
        let entryName = top + folder + recordKey
        guard let entry = archive.entry(named: entryName) else {
            throw CheckpointError.missingStorage(file: path, key: entryName)
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype?.itemSize ?? 1)
        guard !overflow, bytes == entry.uncompressedSize else {
            throw CheckpointError.invalidTensor(file: path, name: "storage \(key)",
                reason: "\(count) \(dtype?.rawValue ?? "bytes") elements need \(overflow ? "more than Int.max" : String(bytes)) bytes, the record '\(entryName)' holds \(entry.uncompressedSize)")
        }
        let record = StorageRecord(key: key, dtype: dtype, count: count, location: id.location)
        records[key] = record
        entries[key] = entry
        return .storage(record)
    }
}
