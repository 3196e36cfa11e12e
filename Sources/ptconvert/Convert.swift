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

    @Option(help: "Keep only the tensors under PREFIX and strip it: 'model' keeps 'model.x' as 'x' (whole name components, not 'modelx'); 'model.' matches as text.")
    var select: String?

    @Option(name: .customLong("rename"), help: ArgumentHelp("Rename with a regular expression, PATTERN=REPLACEMENT ($1 for groups); repeatable, applied in order.", valueName: "PATTERN=REPLACEMENT"))
    var renames: [String] = []

    @Option(help: "Cast floating tensors: keep, float32, float16 or bfloat16 (round to nearest even). Integer tensors are kept.")
    var dtype: String = "keep"

    @Option(help: ArgumentHelp("Split the output into shards of at most SIZE (e.g. 2GB, 500MB, 1.5GiB, 1048576) plus an index.json.", valueName: "SIZE"))
    var maxShardSize: String?

    @OptionGroup var reading: ReadingOptions
    @OptionGroup var limits: ReadLimitOptions

    @Flag(help: "Print the name map and sizes without writing anything.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "No progress bar and no note of the non-tensor values left out.")
    var quiet = false

    var format: TensorFileFormat? { TensorFileFormat(path: output) }

    func validate() throws {
        guard format != nil else {
            throw ValidationError("OUTPUT must end in .safetensors, .pt, .pth or .bin (got '\(output)').")
        }
        guard ConversionOptions.Cast(rawValue: dtype) != nil else {
            throw ValidationError("--dtype must be one of keep, float32, float16, bfloat16.")
        }
        if let select, select.isEmpty {
            throw ValidationError("--select needs a prefix (leave the option out to keep every tensor).")
        }
        do {
            _ = try renames.map(ConversionOptions.Rename.init)
            _ = try maxShardSize.map { (text: String) throws(ByteSize.ParseError) -> Int in try ByteSize.parse(text) }
        } catch let error as ByteSize.ParseError {
            throw ValidationError("--max-shard-size: \(error)")
        } catch {
            throw ValidationError(describe(error))
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
            throw failure(error)
        }
        if !quiet, let note = Self.droppedNote(plan.droppedValueNames) { printError(note) }
        let maxShardBytes = try maxShardSize.map { try ByteSize.parse($0) }
        let ranges = ShardedWriter.shardRanges(byteCounts: plan.entries.map(\.byteCount), maxShardBytes: maxShardBytes)
        let destinations = ShardedWriter.shardPaths(for: output, shardCount: ranges.count)

        if dryRun {
            printDryRun(plan, shards: ranges.map { Array(plan.entries[$0]) }, destinations: destinations)
            return
        }
        let progress = ProgressBar(total: plan.totalBytes, enabled: !quiet)
        defer { progress.finish() }
        do {
            try ShardedWriter.write(plan.exports, to: output, format: format ?? .safetensors, maxShardBytes: maxShardBytes,
                                    metadata: ["format": "pt"]) { progress.update($0) }
        } catch {
            throw failure(error)
        }
    }

    /// One line naming what no output format here holds: `5 non-tensor values not written (epoch, ...)`.
    static func droppedNote(_ names: [String], shown: Int = 3) -> String? {
        guard !names.isEmpty else { return nil }
        let listed = names.prefix(shown).map { $0.isEmpty ? "(root)" : $0 }.joined(separator: ", ")
        let more = names.count > shown ? ", …" : ""
        let noun = names.count == 1 ? "value" : "values"
        return "\(names.count) non-tensor \(noun) not written (\(listed)\(more)): the output holds tensors only"
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
