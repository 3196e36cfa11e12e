extension ExportTensor {
    /// A float32 tensor to write under `name` (what a model computed, for example).
    public init(name: String, tensor: FloatTensor) throws {
        let tensor = try tensor.validated()
        self.init(name: name, dtype: .float32, shape: tensor.shape) {
            littleEndianBytes(tensor.scalars, itemSize: 4)
        }
    }

    /// An int64 tensor to write under `name` (token indices, lengths).
    public init(name: String, tensor: IntegerTensor) throws {
        let tensor = try tensor.validated()
        self.init(name: name, dtype: .int64, shape: tensor.shape) {
            littleEndianBytes(tensor.scalars, itemSize: 8)
        }
    }
}

/// The values' bytes in little-endian order, whatever the host's.
private func littleEndianBytes<Scalar>(_ values: [Scalar], itemSize: Int) -> [UInt8] {
    var bytes = values.withUnsafeBytes { Array($0) }
    if ElementConversion.hostIsBigEndian { ElementConversion.swapBytes(&bytes, unit: itemSize) }
    return bytes
}
