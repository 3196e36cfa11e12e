/// One tensor to write: its name in the output, its dtype and shape, and
/// where its bytes come from. Writers call `bytes` once, when they reach the
/// tensor, so a conversion holds one tensor in memory at a time.
public struct ExportTensor: Sendable {
    /// The name in the output file.
    public var name: String
    /// The dtype written.
    public var dtype: DType
    /// Sizes per axis.
    public var shape: [Int]
    /// Produces the tensor's contiguous, row-major, little-endian bytes
    /// (exactly `byteCount` of them).
    public var bytes: @Sendable () throws -> [UInt8]
    /// What the writers use when set: the same bytes, possibly in place in a
    /// memory map (no copy), with a hook that releases them once written.
    var contents: (@Sendable () throws -> TensorBytes)?

    /// A tensor to write whose bytes `bytes` produces when called.
    public init(name: String, dtype: DType, shape: [Int], bytes: @escaping @Sendable () throws -> [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A tensor whose writers take `contents` (bytes possibly in place); `bytes` copies them.
    static func producing(name: String, dtype: DType, shape: [Int], contents: @escaping @Sendable () throws -> TensorBytes) -> ExportTensor {
        var tensor = ExportTensor(name: name, dtype: dtype, shape: shape) {
            let produced = try contents()
            defer { produced.release() }
            return produced.withUnsafeBytes { Array($0) }
        }
        tensor.contents = contents
        return tensor
    }

    /// The number of elements (saturating at `Int.max`; writers check with `checkedByteCount`).
    public var elementCount: Int { TensorShape.count(ofChecked: shape) }
    /// The bytes the tensor takes (saturating at `Int.max`; writers check with `checkedByteCount`).
    public var byteCount: Int { TensorShape.byteCount(elements: elementCount, itemSize: dtype.itemSize) ?? .max }

    /// `byteCount` with checked arithmetic: a negative extent or an overflowing
    /// product is `WriteError.invalidShape`, naming `file`.
    func checkedByteCount(file: String) throws -> Int {
        guard let elements = TensorShape.checkedElementCount(shape),
              let count = TensorShape.byteCount(elements: elements, itemSize: dtype.itemSize) else {
            throw WriteError.invalidShape(file: file, name: name, shape: shape)
        }
        return count
    }

    /// The bytes to write: `contents` when set, otherwise `bytes()` in a buffer.
    func export() throws -> TensorBytes {
        if let contents { return try contents() }
        return TensorBytes(try bytes())
    }
}

/// A tensor's contiguous little-endian bytes as a writer consumes them: an
/// array, or a range of a memory map or inflated buffer kept alive by its
/// owner. `release` runs once the bytes are written (it drops the mapped
/// pages behind a streaming conversion).
struct TensorBytes: @unchecked Sendable {
    private let array: [UInt8]
    private let region: ByteRegion?
    private let range: Range<Int>
    let release: @Sendable () -> Void

    init(_ array: [UInt8], release: @escaping @Sendable () -> Void = {}) {
        self.array = array
        region = nil
        range = 0..<array.count
        self.release = release
    }

    /// `range` of `region`, which the caller has checked lies inside it.
    init(_ region: ByteRegion, range: Range<Int>, release: @escaping @Sendable () -> Void) {
        array = []
        self.region = region
        self.range = range
        self.release = release
    }

    var count: Int { range.count }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let region {
            return try region.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
        return try array.withUnsafeBytes(body)
    }
}
