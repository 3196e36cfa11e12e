/// The dtype names of the safetensors header (`"F32"`, `"BF16"`, ...).
extension DType {
    /// The name safetensors gives this dtype in its header, or nil when the
    /// format has none (`complex128`).
    public var safetensorsName: String? {
        switch self {
        case .float64: return "F64"
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int16: return "I16"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        case .uint16: return "U16"
        case .uint32: return "U32"
        case .uint64: return "U64"
        case .float8_e4m3fn: return "F8_E4M3"
        case .float8_e5m2: return "F8_E5M2"
        case .complex64: return "C64"
        // F8_E4M3FNUZ, F8_E5M2FNUZ and F8_E8M0 exist in the format but are not
        // read here yet (no Python-written fixture covers them); F4 counts
        // 4-bit elements where torch's float4_e2m1fn_x2 counts packed bytes.
        case .complex128, .float8_e4m3fnuz, .float8_e5m2fnuz, .float8_e8m0fnu, .complex32, .bcomplex32,
             .float4_e2m1fn_x2, .bits1x8, .bits2x4, .bits4x2, .bits8, .bits16:
            return nil
        }
    }

    /// The dtype a safetensors header name stands for, or nil when the name is
    /// not one this library reads. Names are case-sensitive, as in the format.
    ///
    /// Safetensors also defines `F8_E4M3FNUZ`, `F8_E5M2FNUZ`, `F8_E8M0`, `F4`,
    /// `F6_E2M3` and `F6_E3M2`, which have no ``DType`` here and are refused.
    public init?(safetensorsName name: String) {
        guard let dtype = DType.bySafetensorsName[name] else { return nil }
        self = dtype
    }

    /// Every safetensors dtype name this library reads, in the order of `DType.allCases`.
    public static var safetensorsNames: [String] { allCases.compactMap(\.safetensorsName) }

    private static let bySafetensorsName: [String: DType] = {
        var map: [String: DType] = [:]
        for dtype in DType.allCases { if let name = dtype.safetensorsName { map[name] = dtype } }
        return map
    }()
}
