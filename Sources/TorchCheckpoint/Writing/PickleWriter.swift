/// Writes the protocol-2 pickle of a flat state_dict exactly as torch.save
/// lays it out: an `OrderedDict` of name → `_rebuild_tensor_v2(storage, 0,
/// size, stride, False, OrderedDict())`, each storage a persistent id
/// `('storage', torch.<Type>Storage, '<key>', 'cpu', numel)`; for the dtypes
/// torch 2.15 saves untyped, `_rebuild_tensor_v3(...)` with the dtype and a
/// `torch.storage.UntypedStorage` counting bytes.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [PickleOpcode.proto.rawValue, 2]

    /// The storage class torch pickles for a dtype: the legacy typed-storage
    /// names, or `UntypedStorage` (of `torch.storage`) for the dtypes torch
    /// 2.15 saves untyped, rebuilt with `_rebuild_tensor_v3` and the dtype: every
    /// dtype has one, so a `.pt` file holds any tensor.
    static func storageClass(for dtype: DType) -> String {
        dtype.legacyStorageClass ?? untypedStorage
    }

    /// The whole pickle for `tensors` (storage keys "0", "1", ... in order).
    static func stateDict(_ tensors: [(name: String, dtype: DType, shape: [Int])]) -> [UInt8] {
        var writer = PickleWriter()
        writer.global("collections", "OrderedDict")
        writer.op(.emptyTuple)
        writer.op(.reduce)
        if !tensors.isEmpty {
            writer.op(.mark)
            for (index, tensor) in tensors.enumerated() {
                writer.string(tensor.name)
                writer.tensor(key: String(index), dtype: tensor.dtype, shape: tensor.shape)
            }
            writer.op(.setItems)
        }
        writer.op(.stop)
        return writer.bytes
    }

    static let untypedStorage = "UntypedStorage"

    private mutating func tensor(key: String, dtype: DType, shape: [Int]) {
        let storageClass = Self.storageClass(for: dtype)
        let untyped = storageClass == Self.untypedStorage
        global("torch._utils", untyped ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2")
        op(.mark)
        // Persistent id of the storage; an untyped storage counts bytes.
        op(.mark)
        string("storage")
        global(untyped ? "torch.storage" : "torch", storageClass)
        string(key)
        string("cpu")
        int(TensorShape.count(ofChecked: shape) * (untyped ? dtype.itemSize : 1))  // checked by the writer before
        op(.tuple)
        op(.binPersid)
        int(0)  // storage_offset
        tuple(shape)
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        tuple(strides)
        op(.newFalse)  // requires_grad
        global("collections", "OrderedDict")
        op(.emptyTuple)
        op(.reduce)  // backward_hooks = OrderedDict()
        if untyped { global("torch", dtype.rawValue) }  // v3's dtype
        op(.tuple)
        op(.reduce)
    }

    private mutating func op(_ code: PickleOpcode) { bytes.append(code.rawValue) }

    private mutating func global(_ module: String, _ name: String) {
        op(.global)
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    private mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        op(.binUnicode)
        append32(UInt32(utf8.count))
        bytes += utf8
    }

    private mutating func int(_ value: Int) {
        if value >= 0, value < 256 {
            op(.binInt1); bytes.append(UInt8(value))
        } else if value >= 0, value < 65536 {
            op(.binInt2); bytes.append(UInt8(value & 0xFF)); bytes.append(UInt8(value >> 8))
        } else if value >= Int(Int32.min), value <= Int(Int32.max) {
            op(.binInt); append32(UInt32(bitPattern: Int32(value)))
        } else {
            op(.long1); bytes.append(8)  // 8 bytes, little-endian two's complement
            var v = UInt64(bitPattern: Int64(value))
            for _ in 0..<8 { bytes.append(UInt8(v & 0xFF)); v >>= 8 }
        }
    }

    private mutating func tuple(_ values: [Int]) {
        switch values.count {
        case 0: op(.emptyTuple)
        case 1: int(values[0]); op(.tuple1)
        case 2: int(values[0]); int(values[1]); op(.tuple2)
        case 3: int(values[0]); int(values[1]); int(values[2]); op(.tuple3)
        default: op(.mark); for v in values { int(v) }; op(.tuple)
        }
    }

    private mutating func append32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
