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

    /// A tensor to write whose bytes `bytes` produces when called.
    public init(name: String, dtype: DType, shape: [Int], bytes: @escaping @Sendable () throws -> [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Number of elements: the product of ``shape``.
    public var elementCount: Int { shape.reduce(1, *) }
    /// Bytes `bytes` must produce: elements × the dtype's size.
    public var byteCount: Int { elementCount * dtype.itemSize }
}
