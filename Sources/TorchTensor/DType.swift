/// The element types a checkpoint's storages hold, spelled as torch spells
/// them without the `torch.` prefix (`float32`, `bfloat16`, `int64`, ...).
public enum DType: String, Sendable, CaseIterable, Codable {
    /// Floating point: `torch.float64`, `float32`, `float16` (half) and `bfloat16`.
    case float64, float32, float16, bfloat16
    /// Integers and `torch.bool` (one byte per element, 0 or 1).
    case int64, int32, int16, int8, uint8, bool
    /// Complex numbers of two float32 or two float64 parts, real first.
    case complex64, complex128
    /// Unsigned integers torch 2.3 and later can store.
    case uint16, uint32, uint64
    /// 8-bit floats: 4 exponent bits and 3 mantissa bits (no infinities), or 5 and 2.
    case float8_e4m3fn, float8_e5m2
    // The dtypes torch 2.15 saves through `torch.storage.UntypedStorage` (they
    // have no legacy `*Storage` class); appended so existing raw values keep their order.
    /// 8-bit floats without negative zero (`fnuz`) and the exponent-only `e8m0fnu` scale type.
    case float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu
    /// Complex numbers of two float16 (`torch.complex32`, `torch.chalf`) or two bfloat16 halves.
    case complex32, bcomplex32
    /// Two float4 e2m1 values packed in one byte; one element is the byte.
    case float4_e2m1fn_x2
    /// Opaque bit containers: no arithmetic in torch either.
    case bits1x8, bits2x4, bits4x2, bits8, bits16

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float64, .int64, .complex64, .uint64: return 8
        case .complex128: return 16
        case .float32, .int32, .uint32, .complex32, .bcomplex32: return 4
        case .float16, .bfloat16, .int16, .uint16, .bits16: return 2
        case .int8, .uint8, .bool, .float8_e4m3fn, .float8_e5m2, .float8_e4m3fnuz, .float8_e5m2fnuz, .float8_e8m0fnu,
             .float4_e2m1fn_x2, .bits1x8, .bits2x4, .bits4x2, .bits8:
            return 1
        }
    }

    /// Whether the type is a real floating-point type (what `Tensor.floats()` converts).
    /// `float4_e2m1fn_x2` is not: each element packs two values.
    public var isFloatingPoint: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16, .float8_e4m3fn, .float8_e5m2,
             .float8_e4m3fnuz, .float8_e5m2fnuz, .float8_e8m0fnu:
            return true
        default: return false
        }
    }

    /// Whether the type is complex (read by `complexParts`).
    public var isComplex: Bool {
        switch self {
        case .complex32, .bcomplex32, .complex64, .complex128: return true
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
    /// the machine's (complex numbers swap each half on its own; packed bytes
    /// and bit containers are not numbers torch swaps).
    package var swapUnit: Int {
        switch self {
        case .complex32, .bcomplex32: return 2
        case .complex64: return 4
        case .complex128: return 8
        case .bits16: return 2
        default: return itemSize
        }
    }
}
