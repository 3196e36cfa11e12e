import Foundation

/// A `torch.save` checkpoint, read without Python and without running any code
/// from the file.
///
/// Opening parses the container and the pickle, validates every tensor's
/// shape, strides and offset against its storage, and names every tensor by
/// its flattened dotted path in file order. Weight data stays in the memory
/// map until a tensor's values are asked for.
///
/// ```swift
/// let checkpoint = try Checkpoint(contentsOf: URL(fileURLWithPath: "model.pt"))
/// for tensor in checkpoint.tensors { print(tensor.name, tensor.dtype, tensor.shape) }
/// let w = try checkpoint.floatTensor("rnn.weight_ih_l0")   // contiguous Float32
/// ```
public final class Checkpoint: TensorStore, @unchecked Sendable {
    /// The path the checkpoint was read from, as given.
    public let path: String
    public let format: CheckpointFormat
    /// Whether the storages were written big-endian (they are byte-swapped on read).
    public let isBigEndian: Bool
    /// Every tensor, in file order.
    public let tensors: [StoredTensor]
    /// Every non-tensor leaf value (epoch, hyperparameters, optimizer settings), in file order.
    public let values: [NamedValue]

    let file: MappedFile
    let limits: ReadLimits
    private let byName: [String: Int]
    private let storageSource: StorageSource
    private var storageCache: [String: ByteRegion] = [:]
    private let lock = NSLock()

    public convenience init(contentsOf url: URL, limits: ReadLimits = .default, options: ReadOptions = ReadOptions()) throws {
        try self.init(path: url.path, limits: limits, options: options)
    }

    /// Opens and parses the checkpoint at `path`.
    /// - Parameters:
    ///   - path: a `torch.save` file: a zip archive (torch ≥ 1.6) or a legacy stream.
    ///   - limits: resource budgets for untrusted input.
    ///   - options: `.placeholder` for unknown globals reads full-model pickles and
    ///     TorchScript archives (still without calling anything); the default refuses them.
    public init(path: String, limits: ReadLimits = .default, options: ReadOptions = ReadOptions()) throws {
        let file = try MappedFile(path: path)
        self.path = path
        self.file = file
        self.limits = limits
        let parsed: ParsedCheckpoint
        if ZipArchive.looksLikeZip(file.bytes) {
            parsed = try Self.parseZip(file, limits: limits, options: options)
        } else if LegacyFormat.looksLikeLegacy(file.bytes) {
            parsed = try Self.parseLegacy(file, limits: limits, options: options)
        } else {
            throw CheckpointError.unknownFormat(file: path)
        }
        defer { parsed.arena.release() }
        format = parsed.format
        isBigEndian = parsed.isBigEndian
        storageSource = parsed.storages
        let flat = try Flattener(file: path, limits: limits, placeholderMode: options.unknownGlobals == .placeholder)
            .flatten(parsed.root)
        tensors = flat.tensors
        values = flat.values
        var byName: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() { byName[tensor.name] = i }
        self.byName = byName
    }

    /// The tensor of that name, or nil.
    public func tensor(named name: String) -> StoredTensor? {
        byName[name].map { tensors[$0] }
    }

    public func releaseResidentMemory(of tensor: StoredTensor) {
        lock.lock()
        defer { lock.unlock() }
        storageCache[tensor.storageKey] = nil
        if let range = storageSource.mappedRange(for: tensor.storageKey) { file.releasePages(range) }
    }

    /// The bytes of a root storage, checked (CRC, size) and cached on first use.
    func storageBytes(_ key: String) throws -> ByteRegion {
        lock.lock()
        defer { lock.unlock() }
        if let cached = storageCache[key] { return cached }
        let region = try storageSource.bytes(for: key, file: file, limits: limits)
        storageCache[key] = region
        return region
    }
}

/// What the container parsers hand to `Checkpoint`.
struct ParsedCheckpoint {
    let format: CheckpointFormat
    let isBigEndian: Bool
    let root: PickleValue
    let storages: StorageSource
    /// The pickle's containers: released (cycles broken) once the tree has been named.
    let arena: PickleArena
}

/// Where each root storage's bytes are.
enum StorageSource {
    /// Zip: key → entry (`<top>/data/<key>`), validated for size when parsed.
    case zip(entries: [String: ZipEntry])
    /// Legacy: key → byte range in the file.
    case legacy(ranges: [String: Range<Int>])

    /// The byte range of a storage served straight from the map, if it is.
    func mappedRange(for key: String) -> Range<Int>? {
        switch self {
        case let .zip(entries):
            guard let entry = entries[key], entry.method == 0 else { return nil }
            return entry.dataOffset..<(entry.dataOffset + entry.compressedSize)
        case let .legacy(ranges):
            return ranges[key]
        }
    }

    func bytes(for key: String, file: MappedFile, limits: ReadLimits) throws -> ByteRegion {
        switch self {
        case let .zip(entries):
            guard let entry = entries[key] else { throw CheckpointError.missingStorage(file: file.path, key: key) }
            return try ZipArchive.contents(of: entry, in: file, limits: limits)
        case let .legacy(ranges):
            guard let range = ranges[key] else { throw CheckpointError.missingStorage(file: file.path, key: key) }
            return ByteRegion(file: file, range: range)
        }
    }
}
