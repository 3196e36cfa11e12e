import Foundation

/// The file formats the writers produce.
public enum TensorFileFormat: String, Sendable, CaseIterable {
    /// Hugging Face safetensors (`SafetensorsWriter`).
    case safetensors
    /// A zip checkpoint in torch's own layout (`TorchZipWriter`).
    case pt

    /// The format a path's extension asks for: `.safetensors`, or `.pt`,
    /// `.pth`, `.bin`; nil for any other.
    public init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "safetensors": self = .safetensors
        case "pt", "pth", "bin": self = .pt
        default: return nil
        }
    }
}

/// Output split into shards the way Hugging Face does:
/// `model-00001-of-00003.safetensors` … plus `model.safetensors.index.json`
/// (`{"metadata": {"total_size": N}, "weight_map": {name: file}}`), which
/// `ShardedTensorStore` and `transformers` read back as one checkpoint.
public enum ShardedWriter {
    /// Consecutive groups of tensors of at most `maxShardBytes` together; a
    /// larger tensor gets a shard of its own. Nil: one group of everything.
    /// - Parameters:
    ///   - byteCounts: each tensor's size in bytes, in order (not negative).
    ///   - maxShardBytes: the most bytes of tensors one shard holds, or nil for no limit.
    /// - Returns: index ranges into `byteCounts`, covering it in order (one
    ///   empty range when there are no tensors).
    public static func shardRanges(byteCounts: [Int], maxShardBytes: Int?) -> [Range<Int>] {
        guard let maxShardBytes else { return [0..<byteCounts.count] }
        var ranges: [Range<Int>] = []
        var start = 0
        var size = 0
        for (index, count) in byteCounts.enumerated() {
            let (sum, overflow) = size.addingReportingOverflow(count)
            if index > start, overflow || sum > maxShardBytes {
                ranges.append(start..<index)
                start = index
                size = count
            } else {
                size = overflow ? Int.max : sum
            }
        }
        ranges.append(start..<byteCounts.count)
        return ranges
    }

    /// The shard files of `output`: `output` itself for one shard, otherwise
    /// `<stem>-00001-of-0000N.<ext>` … in its folder.
    public static func shardPaths(for output: String, shardCount: Int) -> [String] {
        guard shardCount > 1 else { return [output] }
        let url = URL(fileURLWithPath: output)
        let stem = url.deletingPathExtension().lastPathComponent
        let ext = url.pathExtension
        let folder = url.deletingLastPathComponent()
        return (1...shardCount).map {
            folder.appendingPathComponent(String(format: "%@-%05d-of-%05d.%@", stem, $0, shardCount, ext)).path
        }
    }

    /// `<output>.index.json`.
    public static func indexPath(for output: String) -> String { output + ".index.json" }

    /// The index's JSON text: total size, then every tensor name and its shard's file name.
    public static func indexJSON(names: [[String]], shardPaths: [String], totalBytes: Int) -> String {
        var json: [UInt8] = Array("{\"metadata\": {\"total_size\": \(totalBytes)}, \"weight_map\": {".utf8)
        var first = true
        for (shard, path) in zip(names, shardPaths) {
            let file = URL(fileURLWithPath: path).lastPathComponent
            for name in shard {
                if !first { json.append(contentsOf: Array(", ".utf8)) }
                first = false
                SafetensorsWriter.appendString(name, to: &json)
                json.append(contentsOf: Array(": ".utf8))
                SafetensorsWriter.appendString(file, to: &json)
            }
        }
        json.append(contentsOf: Array("}}\n".utf8))
        return String(decoding: json, as: UTF8.self)
    }

    /// Writes `tensors` to `output` in `format`, sharded when they exceed
    /// `maxShardBytes`, all or nothing: every file (shards and index) is
    /// validated first, then written to a temporary file beside its
    /// destination, and the temporary files are renamed into place only when
    /// all are complete; on failure none is left behind.
    /// - Parameters:
    ///   - tensors: written in this order; names must be distinct.
    ///   - output: the file to write; when sharded, the shards and the index go beside it,
    ///     named after it (`model.safetensors` gives `model-00001-of-00002.safetensors` and
    ///     `model.safetensors.index.json`).
    ///   - format: safetensors or `.pt`.
    ///   - maxShardBytes: the most tensor bytes one shard holds; nil writes one file.
    ///   - metadata: safetensors' `__metadata__` (ignored for `.pt`).
    ///   - progress: called with the tensor bytes written so far, across shards.
    /// - Returns: the files written, shards first, then the index when sharded.
    /// - Throws: what `SafetensorsWriter` and `TorchZipWriter` throw.
    @discardableResult
    public static func write(_ tensors: [ExportTensor], to output: String, format: TensorFileFormat, maxShardBytes: Int? = nil,
                             metadata: [String: String]? = nil, progress: (@Sendable (Int) -> Void)? = nil) throws -> [String] {
        let byteCounts = try tensors.map { try $0.checkedByteCount(file: output) }
        let ranges = shardRanges(byteCounts: byteCounts, maxShardBytes: maxShardBytes)
        let paths = shardPaths(for: output, shardCount: ranges.count)
        let shards = ranges.map { Array(tensors[$0]) }
        var totalBytes = 0
        for (tensor, count) in zip(tensors, byteCounts) {
            let (sum, overflow) = totalBytes.addingReportingOverflow(count)
            guard !overflow else { throw WriteError.invalidShape(file: output, name: tensor.name, shape: tensor.shape) }
            totalBytes = sum
        }
        // Validate every shard before anything is written.
        enum Planned { case safetensors((header: [UInt8], byteCounts: [Int])), pt(TorchZipWriter.Records) }
        let planned: [Planned] = try zip(shards, paths).map { shard, path in
            switch format {
            case .safetensors: return .safetensors(try SafetensorsWriter.plan(shard, metadata: metadata, path: path))
            case .pt:
                let top = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                return .pt(try TorchZipWriter.records(for: shard, path: path, topFolder: top))
            }
        }
        var destinations = paths
        if ranges.count > 1 { destinations.append(indexPath(for: output)) }
        let bases = ranges.map { byteCounts[..<$0.lowerBound].reduce(0, +) }
        try AtomicFile.write(to: destinations) { index, temporary in
            guard index < shards.count else {
                let text = indexJSON(names: shards.map { $0.map(\.name) }, shardPaths: paths, totalBytes: totalBytes)
                try writeText(text, to: temporary, reportedAs: destinations[index])
                return
            }
            let base = bases[index]
            let report: @Sendable (Int) -> Void = { progress?(base + $0) }
            switch planned[index] {
            case let .safetensors(layout):
                try SafetensorsWriter.write(shards[index], layout: layout, to: temporary, reportedAs: paths[index], progress: report)
            case let .pt(records):
                try TorchZipWriter.write(records, to: temporary, reportedAs: paths[index], progress: report)
            }
        }
        return destinations
    }

    private static func writeText(_ text: String, to temporary: String, reportedAs path: String) throws {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError.io(file: path, reason: "cannot create the file: \(String(cString: strerror(errno)))") }
        do {
            try Array(text.utf8).withUnsafeBytes { try ChunkedOutput.writeAll(fd, $0, path: path) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw WriteError.io(file: path, reason: "closing the file failed: \(String(cString: strerror(errno)))") }
    }
}
