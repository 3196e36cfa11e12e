import ArgumentParser
import Foundation
import TorchCheckpoint

/// `ptconvert inspect FILE`: every tensor's name, dtype, shape and size.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors (and small non-tensor values) of a checkpoint.",
        discussion: "Names are flattened dotted paths in file order, as `model.rnn.weight_ih_l0`."
    )

    @Argument(help: "A torch.save checkpoint (.pt/.pth/.bin), a safetensors file, or a sharded *.index.json.")
    var file: String

    @OptionGroup var output: OutputOptions
    @OptionGroup var reading: ReadingOptions
    @OptionGroup var limits: ReadLimitOptions

    func run() throws {
        let checkpoint: any TensorStore
        do {
            checkpoint = try TensorFile.open(file, limits: limits.readLimits, options: reading.readOptions)
        } catch {
            throw failure(error)
        }
        print(output.json ? json(checkpoint) : table(checkpoint))
    }

    /// "zip" or "legacy" for torch.save files, "safetensors", or "sharded".
    private func format(of store: any TensorStore) -> String {
        switch store {
        case let checkpoint as Checkpoint: return checkpoint.format.rawValue + (checkpoint.isBigEndian ? ", big-endian" : "")
        case is SafetensorsFile: return "safetensors"
        default: return "sharded"
        }
    }

    /// Non-tensor leaves: a checkpoint's values, a safetensors file's metadata.
    private func values(of store: any TensorStore) -> [NamedValue] {
        switch store {
        case let checkpoint as Checkpoint: return checkpoint.values
        case let file as SafetensorsFile:
            return file.metadata.sorted { $0.key < $1.key }.map { NamedValue(name: "__metadata__.\($0.key)", value: .string($0.value)) }
        default: return []
        }
    }

    private func json(_ checkpoint: any TensorStore) -> String {
        let tensors = checkpoint.tensors.map { tensor in
            JSONText.object([
                ("name", JSONText.string(tensor.name)),
                ("dtype", JSONText.string(tensor.dtype.rawValue)),
                ("shape", JSONText.array(tensor.shape.map(String.init))),
            ])
        }
        let values = values(of: checkpoint).map { value in
            JSONText.object([("name", JSONText.string(value.name)), ("value", Self.json(value.value))])
        }
        return JSONText.object([
            ("format", JSONText.string(format(of: checkpoint).components(separatedBy: ",")[0])),
            ("tensors", JSONText.array(tensors)),
            ("values", JSONText.array(values)),
        ])
    }

    private static func json(_ value: CheckpointValue) -> String {
        switch value {
        case .none: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .bigInt(s): return JSONText.string(s)
        case let .float(d): return JSONText.number(d)
        case let .string(s): return JSONText.string(s)
        case .complex, .bytes: return JSONText.string(value.description)
        }
    }

    private func table(_ checkpoint: any TensorStore) -> String {
        var rows: [[String]] = [["name", "dtype", "shape", "bytes"]]
        for tensor in checkpoint.tensors {
            rows.append([tensor.name.isEmpty ? "(root)" : tensor.name, tensor.dtype.rawValue,
                         "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]", String(tensor.byteCount)])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            zip(row, widths).enumerated().map { column, cell in
                column == 3 ? String(repeating: " ", count: cell.1 - cell.0.count) + cell.0
                            : cell.0 + String(repeating: " ", count: cell.1 - cell.0.count)
            }.joined(separator: "  ")
        }
        lines.insert(String(repeating: "-", count: widths.reduce(0, +) + 6), at: 1)
        // Views (expand's stride 0) can be logically huge: add without trapping.
        let totalBytes = saturatingSum(checkpoint.tensors.map(\.byteCount))
        let totalElements = saturatingSum(checkpoint.tensors.map(\.elementCount))
        lines.append("\(checkpoint.tensors.count) tensors, \(totalElements) elements, \(totalBytes) bytes (\(format(of: checkpoint)) format)")
        let values = values(of: checkpoint)
        let small = values.filter { $0.value.description.count <= 60 }
        if !small.isEmpty {
            lines.append("")
            lines.append("values:")
            for value in small { lines.append("  \(value.name.isEmpty ? "(root)" : value.name) = \(value.value)") }
            if small.count < values.count {
                lines.append("  (\(values.count - small.count) longer values not shown)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
