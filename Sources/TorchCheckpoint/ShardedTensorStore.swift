import Foundation

/// A Hugging Face sharded checkpoint: an `*.index.json` whose `weight_map`
/// names, for every tensor, the shard file (safetensors or .pt) that holds it.
/// Tensors come in shard order, then file order within each shard.
public final class ShardedTensorStore: TensorStore, @unchecked Sendable {
    public let path: String
    public let tensors: [StoredTensor]
    /// The shard files, in the order first named by the weight map.
    public let shards: [any TensorStore]
    private let shardOfTensor: [String: Int]
    private let byName: [String: Int]

    public init(indexPath: String, limits: ReadLimits = .default) throws {
        path = indexPath
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        } catch {
            throw CheckpointError.unreadable(file: indexPath, reason: error.localizedDescription)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let weightMap = object["weight_map"] as? [String: Any] else {
            throw CheckpointError.malformedIndex(file: indexPath, reason: "expected a JSON object with a \"weight_map\" object")
        }
        // Shard files in the order they first appear in the text of the index, so the
        // output order is stable (JSON objects are unordered once parsed).
        var fileOfTensor: [String: String] = [:]
        for (name, value) in weightMap {
            guard let file = value as? String, !file.contains("/"), !file.hasPrefix(".") else {
                throw CheckpointError.malformedIndex(file: indexPath, reason: "weight_map entry '\(name)' is not a file name in the index's folder")
            }
            fileOfTensor[name] = file
        }
        let text = String(decoding: data, as: UTF8.self)
        let files = Set(fileOfTensor.values).sorted {
            (text.range(of: "\"\($0)\"")?.lowerBound ?? text.endIndex) < (text.range(of: "\"\($1)\"")?.lowerBound ?? text.endIndex)
        }
        let folder = URL(fileURLWithPath: indexPath).deletingLastPathComponent()
        var shards: [any TensorStore] = []
        var tensors: [StoredTensor] = []
        var shardOfTensor: [String: Int] = [:]
        for file in files {
            let shard = try TensorFile.open(folder.appendingPathComponent(file).path, limits: limits)
            let shardIndex = shards.count
            shards.append(shard)
            for tensor in shard.tensors where fileOfTensor[tensor.name] == file {
                guard shardOfTensor[tensor.name] == nil else {
                    throw CheckpointError.malformedIndex(file: indexPath, reason: "tensor '\(tensor.name)' appears in two shards")
                }
                shardOfTensor[tensor.name] = shardIndex
                tensors.append(tensor)
            }
        }
        for (name, file) in fileOfTensor where shardOfTensor[name] == nil {
            throw CheckpointError.malformedIndex(file: indexPath, reason: "weight_map puts '\(name)' in '\(file)', which does not hold it")
        }
        self.shards = shards
        self.tensors = tensors
        self.shardOfTensor = shardOfTensor
        var byName: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() { byName[tensor.name] = i }
        self.byName = byName
    }

    public func tensor(named name: String) -> StoredTensor? { byName[name].map { tensors[$0] } }

    public func hostOrderBytes(of tensor: StoredTensor) throws -> [UInt8] {
        guard let shard = shardOfTensor[tensor.name] else { throw CheckpointError.noSuchTensor(file: path, name: tensor.name) }
        return try shards[shard].hostOrderBytes(of: tensor)
    }
}

/// Opens any supported tensor file by its content: a torch.save checkpoint
/// (zip or legacy), a safetensors file, or a sharded `*.index.json`.
public enum TensorFile {
    public static func open(_ path: String, limits: ReadLimits = .default, options: ReadOptions = ReadOptions()) throws -> any TensorStore {
        if path.hasSuffix(".index.json") {
            return try ShardedTensorStore(indexPath: path, limits: limits)
        }
        if try looksLikeSafetensors(path) {
            throw CheckpointError.unknownFormat(file: path)  // PENDING: SafetensorsFile
        }
        return try Checkpoint(path: path, limits: limits, options: options)
    }

    /// 8-byte little-endian header length, then a JSON object.
    static func looksLikeSafetensors(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try handle.read(upToCount: 9), head.count == 9 else { return false }
        return head[8] == UInt8(ascii: "{")
    }
}
