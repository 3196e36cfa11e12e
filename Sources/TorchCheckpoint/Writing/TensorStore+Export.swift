/// A tensor's bytes for a writer without copying them, when they already lie
/// contiguous and little-endian in a memory map (or an inflated buffer):
/// writing 1 GiB straight from the map in chunks is several times faster on
/// Linux than copying it into an array and writing that in one call (see
/// BENCHMARKS.md, "Loading and converting").
extension TensorStore {
    /// The tensor's contiguous little-endian bytes, in place when possible,
    /// copied (gathered, byte-swapped) otherwise. Their `release` drops the
    /// resident memory of the tensor's storage.
    func exportContents(of tensor: StoredTensor) throws -> TensorBytes {
        let release: @Sendable () -> Void = { self.releaseResidentMemory(of: tensor) }
        if let region = try bytesInPlace(of: tensor) {
            return TensorBytes(region.region, range: region.range, release: release)
        }
        return TensorBytes(try contiguousBytes(tensor.name), release: release)
    }

    /// Where the tensor's contiguous little-endian bytes already are, or nil
    /// when they must be gathered or swapped.
    func bytesInPlace(of tensor: StoredTensor) throws -> (region: ByteRegion, range: Range<Int>)? {
        guard !ElementConversion.hostIsBigEndian else { return nil }
        switch self {
        case let file as SafetensorsFile: return file.bytesInPlace(of: tensor)
        case let checkpoint as Checkpoint: return try checkpoint.bytesInPlace(of: tensor)
        case let sharded as ShardedTensorStore: return try sharded.bytesInPlace(of: tensor)
        default: return nil
        }
    }
}

extension SafetensorsFile {
    func bytesInPlace(of tensor: StoredTensor) -> (region: ByteRegion, range: Range<Int>)? {
        guard self.tensor(named: tensor.name) == tensor, let range = ranges[tensor.name] else { return nil }
        return (ByteRegion(file: file, range: range), 0..<range.count)
    }
}

extension Checkpoint {
    /// A contiguous tensor of a little-endian file: its byte range in the
    /// (CRC-checked) storage. Everything else goes through `gather`, which
    /// checks sizes against `ReadLimits` and swaps bytes.
    func bytesInPlace(of tensor: StoredTensor) throws -> (region: ByteRegion, range: Range<Int>)? {
        guard !isBigEndian, tensor.isContiguous, self.tensor(named: tensor.name) == tensor,
              tensor.storageOffset >= 0, tensor.rootOffset >= 0,
              let count = TensorShape.checkedElementCount(tensor.shape) else { return nil }
        let item = tensor.dtype.itemSize
        let (base, o1) = tensor.rootOffset.addingReportingOverflow(tensor.storageOffset)
        let (start, o2) = base.multipliedReportingOverflow(by: item)
        let (byteCount, o3) = count.multipliedReportingOverflow(by: item)
        let (end, o4) = start.addingReportingOverflow(byteCount)
        guard !o1, !o2, !o3, !o4 else { return nil }
        let region = try storageBytes(tensor.storageKey, for: tensor.name)
        guard end <= region.count else { return nil }  // gather reports the precise error
        return (region, start..<end)
    }
}

extension ShardedTensorStore {
    func bytesInPlace(of tensor: StoredTensor) throws -> (region: ByteRegion, range: Range<Int>)? {
        guard let shard = shardOfTensor[tensor.name] else { return nil }
        return try shards[shard].bytesInPlace(of: tensor)
    }
}

extension TensorStore {
    /// Calls `body` with the tensor's elements, contiguous, row-major and
    /// little-endian: in place in the memory map (no copy) when the file
    /// already holds them that way — every safetensors tensor, and contiguous
    /// tensors of stored little-endian `.pt` records — otherwise a gathered,
    /// byte-swapped copy. The pointer is valid only inside `body`.
    /// `releaseResidentMemory(of:)` drops the mapped pages afterwards.
    public func withContiguousBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let tensor = try requireTensor(name)
        if let (region, range) = try bytesInPlace(of: tensor) {
            return try region.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
        return try contiguousBytes(name).withUnsafeBytes(body)
    }
}
