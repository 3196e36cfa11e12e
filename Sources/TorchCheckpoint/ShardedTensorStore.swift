import Foundation

/// A Hugging Face sharded checkpoint: an `*.index.json` whose `weight_map`
/// names, for every tensor, the shard file (safetensors or .pt) that holds it.
/// Tensors come in the weight map's order.
public final class ShardedTensorStore: TensorStore, Sendable {
    public let path: String
    public let tensors: [StoredTensor]
    /// The shard files, in the order first named by the weight map.
    public let shards: [any TensorStore]
    let shardOfTensor: [String: Int]
    private let byName: [String: Int]

    /// Reads the index and opens every shard it names (paths relative to the index's folder).
    /// - Parameters:
    ///   - indexPath: the `*.index.json` file.
    ///   - limits: applied to each shard.
    ///   - options: applied to each `.pt`/`.bin` shard.
    /// - Throws: ``CheckpointError/malformedIndex(file:reason:)`` for an index that is not a weight map, or a shard's own error.
    public init(indexPath: String, limits: ReadLimits = .default, options: ReadOptions = ReadOptions()) throws {
        path = indexPath
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        } catch {
            throw CheckpointError.unreadable(file: indexPath, reason: error.localizedDescription)
        }
        // Parsed strictly and in order: the weight map's order is the tensors' order.
        let parsed: JSONValue
        do {
            parsed = try data.withUnsafeBytes { try StrictJSON.parse($0, maxDepth: 16) }
        } catch {
            throw CheckpointError.malformedIndex(file: indexPath, reason: "not valid JSON (\(error))")
        }
        guard case let .object(members) = parsed,
              case let .object(weightMap)? = members.first(where: { $0.key == "weight_map" })?.value else {
            throw CheckpointError.malformedIndex(file: indexPath, reason: "expected a JSON object with a \"weight_map\" object")
        }
        var fileOfTensor: [String: String] = [:]
        var order: [String] = []
        var files: [String] = []
        for member in weightMap {
            guard case let .string(file) = member.value, !file.contains("/"), !file.hasPrefix(".") else {
                throw CheckpointError.malformedIndex(file: indexPath, reason: "weight_map entry '\(member.key)' is not a file name in the index's folder")
            }
            fileOfTensor[member.key] = file
            order.append(member.key)
            if !files.contains(file) { files.append(file) }
        }
        let folder = URL(fileURLWithPath: indexPath).deletingLastPathComponent()
        var shards: [any TensorStore] = []
        var shardOfTensor: [String: Int] = [:]
        var found: [String: StoredTensor] = [:]
        for file in files {
            let shard = try TensorFile.open(folder.appendingPathComponent(file).path, limits: limits, options: options)
            for tensor in shard.tensors where fileOfTensor[tensor.name] == file {
                shardOfTensor[tensor.name] = shards.count
                found[tensor.name] = tensor
            }
            shards.append(shard)
        }
        var tensors: [StoredTensor] = []
        for name in order {
            guard let tensor = found[name] else {
                throw CheckpointError.malformedIndex(file: indexPath, reason: "weight_map puts '\(name)' in '\(fileOfTensor[name] ?? "")', which does not hold it")
            }
            tensors.append(tensor)
        }
        self.shards = shards
        self.tensors = tensors
        self.shardOfTensor = shardOfTensor
        var byName: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() { byName[tensor.name] = i }
        self.byName = byName
    }

    public func tensor(named name: String) -> StoredTensor? { byName[name].map { tensors[$0] } }

    public func releaseResidentMemory(of tensor: StoredTensor) {
        if let shard = shardOfTensor[tensor.name] { shards[shard].releaseResidentMemory(of: tensor) }
    }

    public func hostOrderBytes(of tensor: StoredTensor) throws -> [UInt8] {
        guard let shard = shardOfTensor[tensor.name] else { throw CheckpointError.noSuchTensor(file: path, name: tensor.name) }
        return try shards[shard].hostOrderBytes(of: tensor)
    }
}

/// Opens any supported tensor file by its content: a torch.save checkpoint
/// (zip or legacy), a safetensors file, or a sharded `*.index.json`.
public enum TensorFile {
    /// Opens `path` with the reader its content calls for.
    /// - Parameters:
    ///   - path: a `.pt`/`.pth`/`.bin` checkpoint, a `.safetensors` file, or a sharded `*.index.json`.
    ///   - limits: resource budgets for untrusted input.
    ///   - options: how to treat globals outside the allowlist and whether to check
    ///     stored records' CRC-32 (torch.save checkpoints and their shards only).
    /// - Returns: a ``Checkpoint``, ``SafetensorsFile`` or ``ShardedTensorStore``.
    public static func open(_ path: String, limits: ReadLimits = .default, options: ReadOptions = ReadOptions()) throws -> any TensorStore {
        if path.hasSuffix(".index.json") {
            return try ShardedTensorStore(indexPath: path, limits: limits, options: options)
        }
        // A directory or unreadable file is not safetensors: Checkpoint names what it is.
        if (try? looksLikeSafetensors(path)) == true {
            return try SafetensorsFile(path: path, limits: limits)
        }
        return try Checkpoint(path: path, limits: limits, options: options)
    }

    /// An 8-byte little-endian header length that fits the file, then a JSON
    /// object (the spec allows whitespace before its `{`). A zip or pickle
    /// file's first bytes read as an absurd length, so they never match.
    static func looksLikeSafetensors(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try handle.read(upToCount: 8), head.count == 8 else { return false }
        let length = head.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let size = try handle.seekToEnd()
        guard length >= 2, length <= size - 8 else { return false }
        try handle.seek(toOffset: 8)
        guard let header = try handle.read(upToCount: Int(min(length, 4096))) else { return false }
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        return header.first { !whitespace.contains($0) } == UInt8(ascii: "{")
    }
}
