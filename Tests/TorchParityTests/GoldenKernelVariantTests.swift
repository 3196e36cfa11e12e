import Testing
import TorchNN

/// Every golden fixture under every kernel variant this CPU supports (the
/// variant-against-portable tests live in TorchNNTests' `KernelVariantTests`).
/// Serialized: the variant is process-wide state.
@Suite("Golden parity under every kernel variant", .serialized)
struct GoldenKernelVariantTests {
    @Test("every golden fixture passes under every supported variant", arguments: KernelVariant.supported)
    func goldens(_ variant: KernelVariant) throws {
        try KernelVariant.select(variant)
        defer { try? KernelVariant.select(nil) }
        #expect(goldenCaseNames.count >= 77)
        for name in goldenCaseNames {
            try checkGoldenCase(name, "\(name) with \(variant)")
        }
    }
}
