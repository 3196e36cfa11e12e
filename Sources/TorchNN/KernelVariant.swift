internal import COpenBLAS
internal import CRecurrentKernels

/// The instruction-set variant of TorchNN's own matrix and recurrent-step kernels.
///
/// Every variant computes the same thing; they differ in the vector width and in
/// using fused multiply-adds, so results agree to rounding (within every golden
/// fixture's tolerance), not bit for bit. The variant is chosen once, on first use:
/// the environment variable `TORCHNN_KERNEL` (`portable`, `avx2` or `avx512`) when it
/// names a variant this CPU supports, otherwise the best one the CPU supports (an
/// unknown or unsupported value is reported once on standard error and ignored).
/// ``withVariant(_:_:)`` overrides it for the calls made inside a closure (on the current
/// task only, so other work running meanwhile is unaffected: use it to compare variants);
/// ``select(_:)`` overrides it for the whole process.
public enum KernelVariant: String, Sendable, CaseIterable, CustomStringConvertible {
    /// 4-lane vectors every target has (SSE2 on x86-64, NEON on arm64), no FMA.
    case portable
    /// AVX2 with FMA (x86-64).
    case avx2
    /// AVX-512 F/BW/VL/DQ with FMA (x86-64).
    case avx512

    public var description: String { rawValue }

    var cValue: trk_variant {
        switch self {
        case .portable: TRK_VARIANT_PORTABLE
        case .avx2: TRK_VARIANT_AVX2
        case .avx512: TRK_VARIANT_AVX512
        }
    }

    init(_ value: trk_variant) {
        switch value {
        case TRK_VARIANT_AVX512: self = .avx512
        case TRK_VARIANT_AVX2: self = .avx2
        default: self = .portable
        }
    }

    /// What a `TORCHNN_KERNEL` value selects (the variable is read once, on first use):
    /// the named variant when supported, otherwise the best one, with the note printed
    /// on standard error in that case (nil when the value is honoured or absent).
    static func resolve(environmentValue value: String?) -> (variant: KernelVariant, note: String?) {
        var note = [CChar](repeating: 0, count: 160)
        let chosen = note.withUnsafeMutableBufferPointer { buffer in
            trk_choose(value, buffer.baseAddress, buffer.count)
        }
        let text = String(decoding: note.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (KernelVariant(trk_variant(UInt32(chosen))), text.isEmpty ? nil : text)
    }

    /// Whether this CPU (and operating system) can run the variant.
    public var isSupported: Bool { trk_variant_supported(Int32(cValue.rawValue)) != 0 }

    /// The variants this CPU supports, portable first.
    public static var supported: [KernelVariant] { allCases.filter(\.isSupported) }

    /// The best variant this CPU supports.
    public static var best: KernelVariant { KernelVariant(trk_best_variant()) }

    /// The variant the layers use now, on this task: the one ``withVariant(_:_:)`` set
    /// around the caller, else the process-wide choice.
    public static var active: KernelVariant { scoped ?? KernelVariant(trk_active_variant()) }

    /// The variant ``withVariant(_:_:)`` set for the current task, if any.
    @TaskLocal static var scoped: KernelVariant?

    /// Runs `body` with every layer call it makes on the current task using `variant`
    /// (each kernel call is prepared on the calling task, so the helper thread that
    /// shares it uses the same variant). Other tasks and threads keep theirs: two
    /// variants can run side by side.
    /// - Throws: ``KernelVariantError/unsupported(_:)`` when this CPU cannot run
    ///   `variant` (`body` is then not run), or what `body` throws.
    public static func withVariant<Result>(_ variant: KernelVariant, _ body: () throws -> Result) throws -> Result {
        guard variant.isSupported else { throw KernelVariantError.unsupported(variant) }
        return try $scoped.withValue(variant, operation: body)
    }

    /// Makes every layer use `variant` from now on (process-wide, except inside
    /// ``withVariant(_:_:)``), or, with nil, the best supported variant (ignoring
    /// `TORCHNN_KERNEL`). A call already running on another thread may use either
    /// variant for its remaining steps (they agree to rounding).
    /// - Throws: ``KernelVariantError/unsupported(_:)`` when this CPU cannot run it
    ///   (the active variant is then unchanged).
    public static func select(_ variant: KernelVariant?) throws(KernelVariantError) {
        guard let variant else {
            _ = trk_set_variant(-1)
            return
        }
        guard trk_set_variant(Int32(variant.cValue.rawValue)) == 0 else { throw .unsupported(variant) }
    }

    /// The CPU core OpenBLAS dispatched to (`openblas_get_corename()`), for example
    /// `Haswell`, `SkylakeX` or `Prescott`. OpenBLAS still runs the large GEMMs where it
    /// is faster than TorchNN's own kernel; set `OPENBLAS_CORETYPE` when it picks a weak
    /// core for a CPU newer than the library (see the README).
    public static var openBLASCore: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}

/// Why a kernel variant cannot be selected.
public enum KernelVariantError: Error, Equatable, Sendable {
    /// This CPU does not support the variant.
    case unsupported(KernelVariant)
}
