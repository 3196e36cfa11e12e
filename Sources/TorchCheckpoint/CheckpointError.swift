import Foundation

/// Everything that can go wrong reading a checkpoint. Each message names the
/// file, the entry or key, and what was expected.
public enum CheckpointError: Error, Equatable, Sendable {
    /// The file could not be opened or mapped.
    case unreadable(file: String, reason: String)
    /// Neither a zip checkpoint nor the legacy stream format.
    case unknownFormat(file: String)
    /// The zip container is malformed.
    case corruptZip(file: String, reason: String)
    /// A required zip entry (for example `data.pkl`) is absent.
    case missingEntry(file: String, entry: String)
    /// An entry's data does not match its recorded CRC-32.
    case crcMismatch(file: String, entry: String, expected: UInt32, actual: UInt32)
    /// An entry uses a compression method other than stored or deflated.
    case unsupportedCompression(file: String, entry: String, method: Int)
    /// The pickle stream is malformed (bad opcode argument, stack underflow, ...).
    case corruptPickle(file: String, offset: Int, reason: String)
    /// An opcode this reader does not implement.
    case unknownOpcode(file: String, opcode: UInt8, offset: Int)
    /// A global outside the allowlist: refused, never imported or called.
    case forbiddenGlobal(file: String, module: String, name: String, offset: Int)
    /// A resource budget (pickle size, memo, nesting, element count) was exceeded.
    case limitExceeded(file: String, what: String, limit: Int)
    /// A tensor's metadata is not one this reader handles or is inconsistent.
    case invalidTensor(file: String, name: String, reason: String)
    /// A tensor reaches outside its storage.
    case outOfBounds(file: String, name: String, reason: String)
    /// A storage key that has no data record.
    case missingStorage(file: String, key: String)
    /// The legacy stream format is malformed.
    case corruptLegacy(file: String, reason: String)
    /// No tensor of that name.
    case noSuchTensor(file: String, name: String)
    /// A tensor has a dtype the requested conversion cannot take.
    case wrongDType(file: String, name: String, found: DType, expected: String)
    /// A sharded checkpoint's `*.index.json` is malformed or disagrees with its shards.
    case malformedIndex(file: String, reason: String)
    /// A safetensors file whose layout or header breaks the format (header
    /// length, JSON syntax, duplicate keys, data section coverage).
    case malformedSafetensors(file: String, reason: String)
    /// A safetensors header entry that is malformed or inconsistent (missing
    /// field, wrong type, negative or overflowing shape, bad data offsets).
    case malformedSafetensorsEntry(file: String, name: String, reason: String)
    /// A safetensors dtype name this reader does not know.
    case unknownSafetensorsDType(file: String, name: String, dtype: String)
    /// A global torch's weights-only loader allows that builds a tensor this
    /// reader cannot represent (quantized, sparse, meta, ...): refused, not guessed.
    case unsupportedTensorKind(file: String, global: String, kind: UnsupportedTensorKind, offset: Int)
    /// A file of another format, recognised by its magic bytes or layout (npz, ONNX, HDF5, GGUF, ...).
    case notATorchCheckpoint(file: String, format: ForeignFormat)
    /// A TorchScript module object whose class has no declaration in the archive's `code/`.
    case torchScriptClassUndefined(file: String, className: String, entry: String)
    /// Reading a tensor would take the bytes produced beyond what the file
    /// holds (expanded views, inflated records) past `ReadLimits`' expansion
    /// budget: `total` bytes against a budget of `limit`.
    case expansionLimitExceeded(file: String, tensor: String, total: Int, limit: Int)
}

extension CheckpointError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read the file: \(reason)"
        case let .unknownFormat(file):
            return "\(file): not a torch.save checkpoint (expected a zip archive with data.pkl, or the legacy pickle stream)"
        case let .corruptZip(file, reason):
            return "\(file): malformed zip container: \(reason)"
        case let .missingEntry(file, entry):
            return "\(file): the archive has no entry '\(entry)'"
        case let .crcMismatch(file, entry, expected, actual):
            return "\(file): entry '\(entry)' fails its CRC-32 check (recorded \(hex(expected)), computed \(hex(actual)))"
        case let .unsupportedCompression(file, entry, method):
            return "\(file): entry '\(entry)' uses compression method \(method); expected stored (0) or deflated (8)"
        case let .corruptPickle(file, offset, reason):
            return "\(file): malformed pickle at byte \(offset): \(reason)"
        case let .unknownOpcode(file, opcode, offset):
            return "\(file): unknown pickle opcode \(hex(opcode)) at byte \(offset)"
        case let .forbiddenGlobal(file, module, name, offset):
            let refusal = "\(file): the pickle references the global '\(module).\(name)' (byte \(offset)), which is not allowed in a weights-only load; nothing was imported or called"
            guard let what = Self.fullModelReading(module: module, name: name) else { return refusal }
            return refusal + ". It looks like \(what): read it with --full-model (ReadOptions(unknownGlobals: .placeholder)), which builds inert placeholders and still calls nothing"
        case let .limitExceeded(file, what, limit):
            return "\(file): \(what) exceeds the limit of \(limit)"
        case let .invalidTensor(file, name, reason):
            return "\(file): tensor '\(name)': \(reason)"
        case let .outOfBounds(file, name, reason):
            return "\(file): tensor '\(name)' reaches outside its storage: \(reason)"
        case let .missingStorage(file, key):
            return "\(file): storage '\(key)' is referenced by the pickle but has no data record"
        case let .corruptLegacy(file, reason):
            return "\(file): malformed legacy (pre-1.6) checkpoint: \(reason)"
        case let .noSuchTensor(file, name):
            return "\(file): no tensor named '\(name)'"
        case let .wrongDType(file, name, found, expected):
            return "\(file): tensor '\(name)' has dtype \(found.rawValue); expected \(expected)"
        case let .malformedIndex(file, reason):
            return "\(file): malformed sharded-checkpoint index: \(reason)"
        case let .malformedSafetensors(file, reason):
            return "\(file): malformed safetensors file: \(reason)"
        case let .malformedSafetensorsEntry(file, name, reason):
            return "\(file): malformed safetensors file: tensor '\(name)': \(reason)"
        case let .unknownSafetensorsDType(file, name, dtype):
            return "\(file): tensor '\(name)' has dtype '\(dtype)', which is not a safetensors dtype this reader supports (\(DType.safetensorsNames.joined(separator: ", ")))"
        case let .notATorchCheckpoint(file, format):
            return "\(file): this is \(format.description), not a torch.save checkpoint"
        case let .torchScriptClassUndefined(file, className, entry):
            return "\(file): TorchScript class '\(className)' is not declared in '\(entry)', so its parameters and buffers are unknown"
        case let .expansionLimitExceeded(file, tensor, total, limit):
            return "\(file): reading tensor '\(tensor)' would bring the bytes produced beyond what the file holds (expanded views, inflated records) to \(total), past the expansion budget of \(limit) (the larger of ReadLimits.maxExpansionRatio × the file size and ReadLimits.maxExpansionBytes); if the file is trusted, raise ReadLimits.maxExpansionBytes (ptconvert: --max-expansion SIZE)"
        case let .unsupportedTensorKind(file, global, kind, offset):
            return "\(file): '\(global)' (byte \(offset)) makes \(kind.description), which this reader cannot represent; nothing was imported or called"
        }
    }
}

extension CheckpointError {
    /// Modules whose globals are never model classes: a refusal of them must
    /// not suggest reading the file with placeholders.
    private static let systemModules: Set<String> = [
        "builtins", "__builtin__", "os", "posix", "nt", "sys", "subprocess", "shutil", "socket", "importlib", "runpy",
        "pickle", "marshal", "ctypes", "code", "codecs", "_codecs", "io", "pathlib", "types", "functools", "operator",
        "webbrowser", "pty", "multiprocessing", "threading", "signal",
    ]

    /// What a refused global looks like when `--full-model` would read the
    /// file usefully, or nil: TorchScript's `__torch__.…` classes, numpy
    /// values (a training checkpoint's `numpy.float64` metric), or a
    /// capitalised class name outside the system modules (`__main__.MyModel`,
    /// `torch.nn.modules.rnn.LSTM`). Code-running globals (`os.system`,
    /// `builtins.eval`, …) and other functions get no suggestion.
    static func fullModelReading(module: String, name: String) -> String? {
        if module == "__torch__" || module.hasPrefix("__torch__.") { return "a TorchScript archive" }
        let root = String(module.prefix { $0 != "." })
        guard !systemModules.contains(root) else { return nil }
        if root == "numpy" { return "a checkpoint holding numpy values (read as placeholders, without their data)" }
        guard let first = name.unicodeScalars.first, CharacterSet.uppercaseLetters.contains(first),
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "_" }) else { return nil }
        return "a pickled model class (torch.save(model))"
    }
}

private func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
