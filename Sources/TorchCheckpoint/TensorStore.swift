/// A file of stored tensors — a `.pt` checkpoint, a safetensors file, a
/// sharded set — that can hand out each tensor's bytes. Every conversion
/// (`floatTensor`, `doubles`, `integerTensor`, ...) is written once, here.
public protocol TensorStore: TensorSource, Sendable {
    /// The file the tensors come from (for a sharded set, its index).
    var path: String { get }
    /// Every tensor, in file order.
    var tensors: [StoredTensor] { get }
    /// The tensor of that name, or nil.
    func tensor(named name: String) -> StoredTensor?
    /// The tensor's elements, contiguous and row-major, in host byte order.
    func hostOrderBytes(of tensor: StoredTensor) throws -> [UInt8]
    /// Drops the memory the tensor's storage occupies (mapped pages, inflated
    /// buffers) once it has been read; a later read brings it back. Streaming
    /// conversions call it after each tensor.
    func releaseResidentMemory(of tensor: StoredTensor)
}

extension TensorStore {
    public func releaseResidentMemory(of tensor: StoredTensor) {}

    public var tensorNames: [String] { tensors.map(\.name) }

    public func descriptor(of name: String) -> TensorDescriptor? { tensor(named: name)?.descriptor }

    func requireTensor(_ name: String) throws -> StoredTensor {
        guard let tensor = tensor(named: name) else { throw CheckpointError.noSuchTensor(file: path, name: name) }
        return tensor
    }

    /// The tensor's elements, contiguous and row-major, in little-endian byte
    /// order (what torch writes and what safetensors expects).
    public func contiguousBytes(_ name: String) throws -> [UInt8] {
        let tensor = try requireTensor(name)
        var out = try hostOrderBytes(of: tensor)
        if ElementConversion.hostIsBigEndian { ElementConversion.swapBytes(&out, unit: tensor.dtype.swapUnit) }
        return out
    }

    /// Contiguous Float32 values of a floating-point tensor (float64 is rounded,
    /// float16 and bfloat16 are widened exactly).
    public func floatTensor(_ name: String) throws -> FloatTensor {
        let tensor = try requireTensor(name)
        guard tensor.dtype.isFloatingPoint else {
            throw CheckpointError.wrongDType(file: path, name: name, found: tensor.dtype, expected: "a floating-point dtype")
        }
        let bytes = try hostOrderBytes(of: tensor)
        return try FloatTensor(shape: tensor.shape, scalars: ElementConversion.convertToFloat(bytes, dtype: tensor.dtype, count: tensor.elementCount))
    }

    /// Contiguous Float64 values of a floating-point tensor, exact for every dtype.
    public func doubles(_ name: String) throws -> [Double] {
        let tensor = try requireTensor(name)
        guard tensor.dtype.isFloatingPoint else {
            throw CheckpointError.wrongDType(file: path, name: name, found: tensor.dtype, expected: "a floating-point dtype")
        }
        let bytes = try hostOrderBytes(of: tensor)
        if tensor.dtype == .float64 {
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        }
        return ElementConversion.convertToFloat(bytes, dtype: tensor.dtype, count: tensor.elementCount).map(Double.init)
    }

    /// Interleaved real and imaginary parts of a complex tensor.
    public func complexParts(_ name: String) throws -> [Double] {
        let tensor = try requireTensor(name)
        guard tensor.dtype.isComplex else {
            throw CheckpointError.wrongDType(file: path, name: name, found: tensor.dtype, expected: "a complex dtype")
        }
        return ElementConversion.complexParts(try hostOrderBytes(of: tensor), dtype: tensor.dtype) ?? []
    }

    /// Row-major Int64 values of an integer or bool tensor.
    public func integerTensor(_ name: String) throws -> IntegerTensor {
        let tensor = try requireTensor(name)
        guard tensor.dtype.isInteger else {
            throw CheckpointError.wrongDType(file: path, name: name, found: tensor.dtype, expected: "an integer or bool dtype")
        }
        let bytes = try hostOrderBytes(of: tensor)
        let values: [Int64] = try bytes.withUnsafeBytes { raw in
            switch tensor.dtype {
            case .int64: return Array(raw.bindMemory(to: Int64.self))
            case .int32: return raw.bindMemory(to: Int32.self).map(Int64.init)
            case .int16: return raw.bindMemory(to: Int16.self).map(Int64.init)
            case .int8: return raw.bindMemory(to: Int8.self).map(Int64.init)
            case .uint8: return raw.bindMemory(to: UInt8.self).map(Int64.init)
            case .bool: return raw.bindMemory(to: UInt8.self).map { $0 != 0 ? 1 : 0 }
            case .uint16: return raw.bindMemory(to: UInt16.self).map(Int64.init)
            case .uint32: return raw.bindMemory(to: UInt32.self).map(Int64.init)
            case .uint64:
                return try raw.bindMemory(to: UInt64.self).map {
                    guard $0 <= UInt64(Int64.max) else {
                        throw CheckpointError.wrongDType(file: path, name: name, found: .uint64, expected: "values that fit in Int64")
                    }
                    return Int64($0)
                }
            default: return []
            }
        }
        return try IntegerTensor(shape: tensor.shape, scalars: values)
    }

}
