/// The element types a checkpoint's storages hold, spelled as torch spells
/// them without the `torch.` prefix (`float32`, `bfloat16`, `int64`, ...).
public enum DType: String, Sendable, CaseIterable, Codable {
    case float64, float32, float16, bfloat16
    case int64, int32, int16, int8, uint8, bool
    case complex64, complex128
    case uint16, uint32, uint64
    case float8_e4m3fn, float8_e5m2

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float64, .int64, .complex64, .uint64: return 8
        case .complex128: return 16
        case .float32, .int32, .uint32: return 4
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .int8, .uint8, .bool, .float8_e4m3fn, .float8_e5m2: return 1
        }
    }

    /// Whether the type is a real floating-point type (what `Tensor.floats()` converts).
    public var isFloatingPoint: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16, .float8_e4m3fn, .float8_e5m2: return true
        default: return false
        }
    }

    /// Whether the type holds integers (or bools), read by `Tensor.integers()`.
    public var isInteger: Bool {
        switch self {
        case .int64, .int32, .int16, .int8, .uint8, .bool, .uint16, .uint32, .uint64: return true
        default: return false
        }
    }

    /// Bytes to swap within each element when the file's byte order differs from
    /// the machine's (complex numbers swap each half on its own).
    package var swapUnit: Int {
        switch self {
        case .complex64: return 4
        case .complex128: return 8
        default: return itemSize
        }
    }
}
