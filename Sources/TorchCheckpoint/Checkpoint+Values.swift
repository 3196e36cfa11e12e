import Foundation

/// Materialising a tensor: gathering its strided elements into a contiguous
/// row-major buffer, swapping bytes from a big-endian file, and converting.
extension Checkpoint {
    private static let hostIsBigEndian = 1.bigEndian == 1

    /// The tensor's elements, contiguous and row-major, in little-endian byte
    /// order (what torch writes and what safetensors expects).
    public func contiguousBytes(_ name: String) throws -> [UInt8] {
        let tensor = try requireTensor(name)
        var out = try gather(tensor)
        if Self.hostIsBigEndian { Self.swapBytes(&out, unit: tensor.dtype.swapUnit) }
        return out
    }

    /// Contiguous Float32 values of a floating-point tensor (float64 is rounded,
    /// float16 and bfloat16 are widened exactly).
    public func floatTensor(_ name: String) throws -> FloatTensor {
        let tensor = try requireTensor(name)
        guard tensor.dtype.isFloatingPoint else {
            throw CheckpointError.wrongDType(file: path, name: name, found: tensor.dtype, expected: "a floating-point dtype")
        }
        let bytes = try gather(tensor)
        return FloatTensor(shape: tensor.shape, scalars: Self.convertToFloat(bytes, dtype: tensor.dtype, count: tensor.elementCount))
    }

    /// Contiguous Float64 values of a floating-point tensor, exact for every dtype.
    public func doubles(_ name: String) throws -> [Double] {
        let tensor = try requireTensor(name)
        guard tensor.dtype.isFloatingPoint else {
            throw CheckpointError.wrongDType(file: path, name: name, found: tensor.dtype, expected: "a floating-point dtype")
        }
        let bytes = try gather(tensor)
        if tensor.dtype == .float64 {
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        }
        return Self.convertToFloat(bytes, dtype: tensor.dtype, count: tensor.elementCount).map(Double.init)
    }

    /// Interleaved real and imaginary parts of a complex tensor.
    public func complexParts(_ name: String) throws -> [Double] {
        let tensor = try requireTensor(name)
        let bytes = try gather(tensor)
        switch tensor.dtype {
        case .complex64: return bytes.withUnsafeBytes { $0.bindMemory(to: Float.self).map(Double.init) }
        case .complex128: return bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        default: throw CheckpointError.wrongDType(file: path, name: name, found: tensor.dtype, expected: "complex64 or complex128")
        }
    }

    /// Row-major Int64 values of an integer or bool tensor.
    public func integerTensor(_ name: String) throws -> (shape: [Int], values: [Int64]) {
        let tensor = try requireTensor(name)
        guard tensor.dtype.isInteger else {
            throw CheckpointError.wrongDType(file: path, name: name, found: tensor.dtype, expected: "an integer or bool dtype")
        }
        let bytes = try gather(tensor)
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
        return (tensor.shape, values)
    }

    // MARK: Gathering

    /// Copies the tensor's elements into a contiguous buffer in host byte order.
    func gather(_ tensor: StoredTensor) throws -> [UInt8] {
        let region = try storageBytes(tensor.storageKey)
        let item = tensor.dtype.itemSize
        let count = tensor.elementCount
        var out = [UInt8](repeating: 0, count: count * item)
        guard count > 0 else { return out }

        // Re-check the reach against the bytes actually present (the pickle
        // was checked against the storage's declared size; this guards the rest).
        var furthest = tensor.rootOffset + tensor.storageOffset
        for (n, s) in zip(tensor.shape, tensor.strides) { furthest += (n - 1) * s }
        guard (furthest + 1) * item <= region.count else {
            throw CheckpointError.outOfBounds(file: path, name: tensor.name,
                reason: "element \(furthest) of a storage of \(region.count / item) \(tensor.dtype.rawValue) elements")
        }

        let base = (tensor.rootOffset + tensor.storageOffset) * item
        region.withUnsafeBytes { source in out.withUnsafeMutableBytes { destination in
            if tensor.isContiguous {
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[base..<(base + count * item)]))
                return
            }
            // Odometer over every index but the last; the last axis is one run.
            let rank = tensor.shape.count
            let inner = tensor.shape[rank - 1], innerStride = tensor.strides[rank - 1]
            var index = [Int](repeating: 0, count: rank - 1)
            var written = 0
            while written < count * item {
                var offset = 0
                for axis in 0..<(rank - 1) { offset += index[axis] * tensor.strides[axis] }
                let start = base + offset * item
                if innerStride == 1 {
                    (destination.baseAddress! + written).copyMemory(from: source.baseAddress! + start, byteCount: inner * item)
                } else {
                    for j in 0..<inner {
                        (destination.baseAddress! + written + j * item)
                            .copyMemory(from: source.baseAddress! + start + j * innerStride * item, byteCount: item)
                    }
                }
                written += inner * item
                var axis = rank - 2
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < tensor.shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
        } }
        if isBigEndian != Self.hostIsBigEndian { Self.swapBytes(&out, unit: tensor.dtype.swapUnit) }
        return out
    }

    static func swapBytes(_ bytes: inout [UInt8], unit: Int) {
        guard unit > 1 else { return }
        bytes.withUnsafeMutableBufferPointer { buffer in
            var i = 0
            while i + unit <= buffer.count {
                var lo = i, hi = i + unit - 1
                while lo < hi { buffer.swapAt(lo, hi); lo += 1; hi -= 1 }
                i += unit
            }
        }
    }

    // MARK: Conversion

    static func convertToFloat(_ bytes: [UInt8], dtype: DType, count: Int) -> [Float] {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case .float32: return Array(raw.bindMemory(to: Float.self))
            case .float64: return raw.bindMemory(to: Double.self).map { Float($0) }
            case .float16: return raw.bindMemory(to: UInt16.self).map(halfToFloat)
            case .bfloat16: return raw.bindMemory(to: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
            case .float8_e5m2: return raw.bindMemory(to: UInt8.self).map { halfToFloat(UInt16($0) << 8) }
            case .float8_e4m3fn: return raw.bindMemory(to: UInt8.self).map(e4m3fnToFloat)
            default: return [Float](repeating: .nan, count: count)  // unreachable: callers check isFloatingPoint
            }
        }
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
    }

    static func e4m3fnToFloat(_ b: UInt8) -> Float {
        let negative = b & 0x80 != 0
        let exponent = Int((b >> 3) & 0xF)
        let mantissa = Float(b & 0x7)
        let magnitude: Float
        if exponent == 15, b & 0x7 == 7 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = mantissa * 0x1p-9
        } else {
            magnitude = (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }
}
