import ArgumentParser
import Foundation
import TorchCheckpoint

/// `ptconvert convert INPUT OUTPUT`: .pt / safetensors / sharded in, safetensors or .pt out.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a checkpoint to safetensors or .pt, selecting, renaming and casting tensors.",
        discussion: """
        The output format follows OUTPUT's extension: .safetensors, or .pt/.pth/.bin (a zip \
        checkpoint in torch's own layout that torch.load(weights_only=True) reads). INPUT may be \
        a torch.save file, a safetensors file, or a sharded checkpoint's *.index.json. The output \
        is written to a temporary file beside it and renamed into place when complete.
        """
    )

    @Argument(help: "The checkpoint to read.")
    var input: String

    @Argument(help: "The file to write (.safetensors, .pt, .pth or .bin).")
    var output: String

    @Option(help: "Keep only tensors whose names start with PREFIX, and strip it (e.g. 'state_dict.').")
    var select: String?

    @Option(name: .customLong("rename"), help: ArgumentHelp("Rename with a regular expression, PATTERN=REPLACEMENT ($1 for groups); repeatable, applied in order.", valueName: "PATTERN=REPLACEMENT"))
    var renames: [String] = []

    @Option(help: "Cast floating tensors: keep, float32, float16 or bfloat16 (round to nearest even). Integer tensors are kept.")
    var dtype: String = "keep"

    @Option(help: ArgumentHelp("Split the output into shards of at most SIZE (e.g. 2GB, 500MB) plus an index.json.", valueName: "SIZE"))
    var maxShardSize: String?

    @OptionGroup var reading: ReadingOptions
    @OptionGroup var limits: ReadLimitOptions

    @Flag(help: "Print the name map and sizes without writing anything.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "No progress bar.")
    var quiet = false

    enum Format { case safetensors, pt }

    var format: Format? {
        switch URL(fileURLWithPath: output).pathExtension.lowercased() {
        case "safetensors": return .safetensors
        case "pt", "pth", "bin": return .pt
        default: return nil
        }
    }

    func validate() throws {
        guard format != nil else {
            throw ValidationError("OUTPUT must end in .safetensors, .pt, .pth or .bin (got '\(output)').")
        }
        guard ConversionOptions.Cast(rawValue: dtype) != nil else {
            throw ValidationError("--dtype must be one of keep, float32, float16, bfloat16.")
        }
        if let maxShardSize, ByteSize.parse(maxShardSize) == nil {
            throw ValidationError("--max-shard-size takes a size like 2GB, 500MB or 1048576.")
        }
    }

    func run() throws {
        let plan: ConversionPlan
        do {
            let store = try TensorFile.open(input, limits: limits.readLimits, options: reading.readOptions)
            let renameRules = try renames.map(ConversionOptions.Rename.init)
            plan = try ConversionPlan(source: store, options: ConversionOptions(
                select: select, renames: renameRules, cast: ConversionOptions.Cast(rawValue: dtype) ?? .keep))
        } catch {
            throw unreadable(error)
        }
        let shards = Sharding.split(plan.entries, maxBytes: maxShardSize.flatMap(ByteSize.parse))
        let destinations = Sharding.fileNames(for: output, shardCount: shards.count)

        if dryRun {
            printDryRun(plan, shards: shards, destinations: destinations)
            return
        }
        let progress = ProgressBar(total: plan.totalBytes, enabled: !quiet)
        do {
            let exports = plan.exports
            var exportIndex = 0
            var done = 0
            for (shard, destination) in zip(shards, destinations) {
                let slice = Array(exports[exportIndex..<(exportIndex + shard.count)])
                exportIndex += shard.count
                let base = done
                try AtomicFile.write(to: destination) { temporary in
                    switch format ?? .safetensors {
                    case .safetensors:
                        try SafetensorsWriter.write(slice, metadata: ["format": "pt"], to: temporary) { progress.update(base + $0) }
                    case .pt:
                        let top = URL(fileURLWithPath: destination).deletingPathExtension().lastPathComponent
                        try TorchZipWriter.write(slice, to: temporary, topFolder: top) { progress.update(base + $0) }
                    }
                }
                done = saturatingSum([done] + shard.map(\.byteCount))
            }
            if shards.count > 1 {
                try Sharding.writeIndex(for: output, shards: shards, destinations: destinations, totalBytes: plan.totalBytes)
            }
            progress.finish()
        } catch {
            progress.finish()
            throw unreadable(error)
        }
    }

    private func printDryRun(_ plan: ConversionPlan, shards: [[ConversionPlan.Entry]], destinations: [String]) {
        for (shard, destination) in zip(shards, destinations) {
            print("\(destination):")
            for entry in shard {
                let cast = entry.sourceDType == entry.dtype ? entry.dtype.rawValue : "\(entry.sourceDType.rawValue) -> \(entry.dtype.rawValue)"
                let rename = entry.sourceName == entry.outputName ? entry.outputName : "\(entry.sourceName) -> \(entry.outputName)"
                print("  \(rename)  \(cast)  [\(entry.shape.map(String.init).joined(separator: ", "))]  \(entry.byteCount) bytes")
            }
        }
        print("\(plan.entries.count) tensors, \(plan.totalBytes) bytes, \(shards.count) file\(shards.count == 1 ? "" : "s") (dry run: nothing written)")
    }
}
