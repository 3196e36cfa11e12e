/// Writes the protocol-2 pickle of a flat state_dict exactly as torch.save
/// lays it out: an `OrderedDict` of name → `_rebuild_tensor_v2(storage, 0,
/// size, stride, False, OrderedDict())`, each storage a persistent id
/// `('storage', torch.<Type>Storage, '<key>', 'cpu', numel)`.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

    /// The storage class torch pickles for a dtype: the legacy typed-storage
    /// names, or `UntypedStorage` (of `torch.storage`) for the dtypes torch
    /// 2.15 saves untyped, rebuilt with `_rebuild_tensor_v3` and the dtype.
    static func storageClass(for dtype: DType) -> String? {
        switch dtype {
        case .float32: return "FloatStorage"
        case .float64: return "DoubleStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .int16: return "ShortStorage"
        case .int8: return "CharStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        case .complex64: return "ComplexFloatStorage"
        case .complex128: return "ComplexDoubleStorage"
        default: return untypedStorage
        }
    }

    /// The whole pickle for `tensors` (storage keys "0", "1", ... in order).
    static func stateDict(_ tensors: [(name: String, dtype: DType, shape: [Int])]) -> [UInt8] {
        var writer = PickleWriter()
        writer.global("collections", "OrderedDict")
        writer.op(0x29)  // EMPTY_TUPLE
        writer.op(0x52)  // REDUCE
        if !tensors.isEmpty {
            writer.op(0x28)  // MARK
            for (index, tensor) in tensors.enumerated() {
                writer.string(tensor.name)
                writer.tensor(key: String(index), dtype: tensor.dtype, shape: tensor.shape)
            }
            writer.op(0x75)  // SETITEMS
        }
        writer.op(0x2E)  // STOP
        return writer.bytes
    }

    static let untypedStorage = "UntypedStorage"

    private mutating func tensor(key: String, dtype: DType, shape: [Int]) {
        let storageClass = Self.storageClass(for: dtype) ?? Self.untypedStorage
        let untyped = storageClass == Self.untypedStorage
        global("torch._utils", untyped ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2")
        op(0x28)  // MARK
        // Persistent id of the storage; an untyped storage counts bytes.
        op(0x28)
        string("storage")
        global(untyped ? "torch.storage" : "torch", storageClass)
        string(key)
        string("cpu")
        int(shape.reduce(1, *) * (untyped ? dtype.itemSize : 1))
        op(0x74)  // TUPLE
        op(0x51)  // BINPERSID
        int(0)  // storage_offset
        tuple(shape)
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        tuple(strides)
        op(0x89)  // NEWFALSE: requires_grad
        global("collections", "OrderedDict")
        op(0x29)
        op(0x52)  // backward_hooks = OrderedDict()
        if untyped { global("torch", dtype.rawValue) }  // v3's dtype
        op(0x74)  // TUPLE
        op(0x52)  // REDUCE
    }

    private mutating func op(_ code: UInt8) { bytes.append(code) }

    private mutating func global(_ module: String, _ name: String) {
        op(0x63)
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    private mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        op(0x58)  // BINUNICODE
        append32(UInt32(utf8.count))
        bytes += utf8
    }

    private mutating func int(_ value: Int) {
        if value >= 0, value < 256 {
            op(0x4B); bytes.append(UInt8(value))
        } else if value >= 0, value < 65536 {
            op(0x4D); bytes.append(UInt8(value & 0xFF)); bytes.append(UInt8(value >> 8))
        } else if value >= Int(Int32.min), value <= Int(Int32.max) {
            op(0x4A); append32(UInt32(bitPattern: Int32(value)))
        } else {
            op(0x8A); bytes.append(8)  // LONG1, 8 bytes little-endian two's complement
            var v = UInt64(bitPattern: Int64(value))
            for _ in 0..<8 { bytes.append(UInt8(v & 0xFF)); v >>= 8 }
        }
    }

    private mutating func tuple(_ values: [Int]) {
        switch values.count {
        case 0: op(0x29)
        case 1: int(values[0]); op(0x85)
        case 2: int(values[0]); int(values[1]); op(0x86)
        case 3: int(values[0]); int(values[1]); int(values[2]); op(0x87)
        default: op(0x28); for v in values { int(v) }; op(0x74)
        }
    }

    private mutating func append32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
