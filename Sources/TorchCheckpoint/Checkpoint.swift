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
    /// Zip archive (torch ≥ 1.6) or legacy stream.
    public let format: CheckpointFormat
    /// Whether the storages were written big-endian (they are byte-swapped on read).
    public let isBigEndian: Bool
    /// Every tensor, in file order.
    public let tensors: [StoredTensor]
    /// Every non-tensor leaf value (epoch, hyperparameters, optimizer settings), in file order.
    public let values: [NamedValue]

    let file: MappedFile
    let limits: ReadLimits
    /// ``ReadOptions/verifiesStoredChecksums``.
    private let verifiesStoredChecksums: Bool
    private let byName: [String: Int]
    private let storageSource: StorageSource
    private var storageCache: [String: ByteRegion] = [:]
    /// Views and records already charged against the expansion budget, and the total charged.
    private var expansionCharged: Set<String> = []
    private var expansionTotal = 0
    private let lock = NSLock()

    /// Opens and parses the checkpoint at a file URL; see ``init(path:limits:options:)``.
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
        if let format = ForeignFormat.sniffDirectory(path) {
            throw CheckpointError.notATorchCheckpoint(file: path, format: format)
        }
        let file = try MappedFile(path: path)
        self.path = path
        self.file = file
        self.limits = limits
        let parsed: ParsedCheckpoint
        if ZipArchive.looksLikeZip(file.bytes) {
            parsed = try Self.parseZip(file, limits: limits, options: options)
        } else if LegacyFormat.looksLikeLegacy(file.bytes) {
            parsed = try Self.parseLegacy(file, limits: limits, options: options)
        } else if let format = ForeignFormat.sniff(UnsafeRawBufferPointer(rebasing: file.bytes.prefix(4096)), path: path) {
            throw CheckpointError.notATorchCheckpoint(file: path, format: format)
        } else {
            throw CheckpointError.unknownFormat(file: path)
        }
        defer { parsed.arena.release() }
        format = parsed.format
        isBigEndian = parsed.isBigEndian
        verifiesStoredChecksums = options.verifiesStoredChecksums
        storageSource = parsed.storages
        let placeholders = options.unknownGlobals == .placeholder && !parsed.isFlatStateDict
        let flat = try Flattener(file: path, limits: limits, placeholderMode: placeholders)
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

    /// The bytes of a root storage, checked (CRC, size) and cached on first
    /// use. A deflated record's inflation is charged to the expansion budget
    /// (for `tensor`, which asked) before anything is inflated.
    func storageBytes(_ key: String, for tensor: String) throws -> ByteRegion {
        lock.lock()
        defer { lock.unlock() }
        if let cached = storageCache[key] { return cached }
        if let growth = try storageSource.inflatedGrowth(for: key, file: file, limits: limits) {
            try chargeExpansion(growth, as: "record " + key, tensor: tensor, callerHoldsLock: true)
        }
        let region = try storageSource.bytes(for: key, file: file, limits: limits, verifyStored: verifiesStoredChecksums)
        storageCache[key] = region
        return region
    }

    /// Charges `bytes` of expansion to the budget once per `charge` (a view or
    /// a record): the budget bounds what a file can make the reader produce.
    func chargeExpansion(_ bytes: Int, as charge: String, tensor: String, callerHoldsLock: Bool = false) throws {
        if !callerHoldsLock { lock.lock() }
        defer { if !callerHoldsLock { lock.unlock() } }
        guard bytes > 0, !expansionCharged.contains(charge) else { return }
        let budget = limits.expansionBudget(fileSize: file.count)
        let (total, overflow) = expansionTotal.addingReportingOverflow(bytes)
        guard !overflow, total <= budget else {
            throw CheckpointError.expansionLimitExceeded(file: path, tensor: tensor, total: overflow ? Int.max : total, limit: budget)
        }
        expansionCharged.insert(charge)
        expansionTotal = total
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
    /// Whether `root` is already a flat name → tensor dict (a TorchScript
    /// state_dict), whose tied tensors keep every name.
    var isFlatStateDict = false
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

    /// For a deflated record, the bytes inflating it adds to the file's, once
    /// its declared size is known to be one deflate can produce.
    func inflatedGrowth(for key: String, file: MappedFile, limits: ReadLimits) throws -> Int? {
        guard case let .zip(entries) = self, let entry = entries[key], entry.method == 8 else { return nil }
        try ZipArchive.checkDeclaredInflation(entry, in: file, limits: limits)
        return entry.uncompressedSize - entry.compressedSize
    }

    func bytes(for key: String, file: MappedFile, limits: ReadLimits, verifyStored: Bool) throws -> ByteRegion {
        switch self {
        case let .zip(entries):
            guard let entry = entries[key] else { throw CheckpointError.missingStorage(file: file.path, key: key) }
            return try ZipArchive.contents(of: entry, in: file, limits: limits, verifyStored: verifyStored)
        case let .legacy(ranges):
            guard let range = ranges[key] else { throw CheckpointError.missingStorage(file: file.path, key: key) }
            return ByteRegion(file: file, range: range)
        }
    }
}
