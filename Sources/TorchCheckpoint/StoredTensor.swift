/// A tensor as the checkpoint stores it: a strided view of a storage. Reading
/// one costs nothing; its values are converted only when asked for.
public struct StoredTensor: Sendable, Equatable {
    /// Flattened dotted name (`model.rnn.weight_ih_l0`; list indices as numbers).
    public let name: String
    /// The storage's element type.
    public let dtype: DType
    /// Sizes per axis, as torch reports `tensor.shape`; empty for a 0-d tensor.
    public let shape: [Int]
    /// In elements, as torch reports `tensor.stride()`.
    public let strides: [Int]
    /// In elements, as torch reports `tensor.storage_offset()`.
    public let storageOffset: Int
    /// The storage's record key (`data/<key>` in a zip checkpoint).
    public let storageKey: String
    /// Where torch had the storage (`cpu`, `cuda:0`); every storage is read to the CPU.
    public let location: String
    /// Element offset of the storage inside its root storage (legacy views).
    let rootOffset: Int

    /// The number of elements (the reader checked the shape's products when it built the tensor).
    public var elementCount: Int { TensorShape.count(ofChecked: shape) }
    /// Bytes the tensor's values take when contiguous.
    public var byteCount: Int { elementCount * dtype.itemSize }

    /// Whether the elements lie row-major without gaps.
    public var isContiguous: Bool {
        var expected = 1
        for (n, s) in zip(shape, strides).reversed() where n != 1 {
            if s != expected { return false }
            expected *= n
        }
        return true
    }

    /// Name, dtype and shape, as layers ask for them.
    public var descriptor: TensorDescriptor { TensorDescriptor(name: name, dtype: dtype, shape: shape) }
}

/// A non-tensor leaf of the checkpoint (an epoch number, a learning rate, a run name).
public enum CheckpointValue: Sendable, Equatable, CustomStringConvertible {
    /// Python's `None`.
    case none
    /// A Python `bool`.
    case bool(Bool)
    /// A Python `int` that fits in 64 bits.
    case int(Int)
    /// An integer wider than 64 bits, in decimal.
    case bigInt(String)
    /// A Python `float`.
    case float(Double)
    /// A Python `complex`: real and imaginary parts.
    case complex(Double, Double)
    /// A Python `str`.
    case string(String)
    /// Python `bytes` or `bytearray`.
    case bytes([UInt8])

    public var description: String {
        switch self {
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .bigInt(s): return s
        case let .float(d): return String(d)
        case let .complex(re, im): return "(\(re)\(im < 0 ? "-" : "+")\(abs(im))j)"
        case let .string(s): return "'\(s)'"
        case let .bytes(b): return "b<\(b.count) bytes>"
        }
    }
}

/// A named non-tensor leaf.
public struct NamedValue: Sendable, Equatable {
    /// Flattened dotted path of the value (`epoch`, `optimizer.param_groups.0.lr`).
    public let name: String
    /// The value itself.
    public let value: CheckpointValue

    /// A value under a name.
    public init(name: String, value: CheckpointValue) {
        self.name = name
        self.value = value
    }
}

/// The container a checkpoint came in.
public enum CheckpointFormat: String, Sendable {
    /// The zip archive torch.save writes since 1.6.
    case zip
    /// The pickle stream written before 1.6 (`_use_new_zipfile_serialization=False`).
    case legacy
}
