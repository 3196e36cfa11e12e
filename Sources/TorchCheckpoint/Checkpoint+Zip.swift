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

        guard pickleEntry.uncompressedSize <= limits.maxPickleBytes else {
            throw CheckpointError.limitExceeded(file: path, what: "data.pkl of \(pickleEntry.uncompressedSize) bytes", limit: limits.maxPickleBytes)
        }
        let pickle = try ZipArchive.contents(of: pickleEntry, in: file, limits: limits)

        // Persistent ids: ('storage', storage_type, key, location, numel).
        var storages: [String: StorageRecord] = [:]
        var entries: [String: ZipEntry] = [:]
        let arena = PickleArena()
        var machine = PickleMachine(file: path, limits: limits, arena: arena) { id, offset in
            if case let .tuple(parts) = id, parts.count > 1, case let .global(.unsupportedTensor(name, kind)) = parts[1] {
                throw CheckpointError.unsupportedTensorKind(file: path, global: name, kind: kind, offset: offset)
            }
            guard case let .tuple(parts) = id, parts.count == 5, case .string("storage") = parts[0],
                  case let .global(.storageClass(dtype)) = parts[1], case let .string(key) = parts[2],
                  case let .int(count) = parts[4], count >= 0 else {
                throw CheckpointError.corruptPickle(file: path, offset: offset, reason: "persistent id is not ('storage', <storage class>, key, location, numel)")
            }
            let location: String
            if case let .string(text) = parts[3] { location = text } else { location = "cpu" }
            if let known = storages[key] {
                guard known.dtype == dtype, known.count == count else {
                    throw CheckpointError.invalidTensor(file: path, name: "storage \(key)",
                        reason: "referenced as \(known.count) \(known.dtype?.rawValue ?? "bytes") and as \(count) \(dtype?.rawValue ?? "bytes")")
                }
                return .storage(known)
            }
            let entryName = top + "data/" + key
            guard let entry = archive.entry(named: entryName) else {
                throw CheckpointError.missingStorage(file: path, key: entryName)
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype?.itemSize ?? 1)
            guard !overflow, bytes == entry.uncompressedSize else {
                throw CheckpointError.invalidTensor(file: path, name: "storage \(key)",
                    reason: "\(count) \(dtype?.rawValue ?? "bytes") elements need \(overflow ? "more than Int.max" : String(bytes)) bytes, the record '\(entryName)' holds \(entry.uncompressedSize)")
            }
            let record = StorageRecord(key: key, dtype: dtype, count: count, location: location)
            storages[key] = record
            entries[key] = entry
            return .storage(record)
        }
        machine.options = options
        let root: PickleValue, end: Int
        do {
            (root, end) = try pickle.withUnsafeBytes { try machine.run($0) }
        } catch {
            arena.release()
            throw error
        }
        guard end == pickle.count else {
            arena.release()
            throw CheckpointError.corruptPickle(file: path, offset: end, reason: "\(pickle.count - end) bytes follow STOP in data.pkl")
        }
        return ParsedCheckpoint(format: .zip, isBigEndian: isBigEndian, root: root, storages: .zip(entries: entries),
                                arena: arena)
    }
}
