import Testing
import TorchNN

/// Every golden fixture under every kernel variant this CPU supports (the
/// variant-against-portable tests live in TorchNNTests' `KernelVariantTests`).
/// The variant holds for each test case's own task (`withVariant`), so the cases run
/// in parallel with each other and with every other suite.
@Suite("Golden parity under every kernel variant")
struct GoldenKernelVariantTests {
    @Test("every golden fixture passes under every supported variant", arguments: KernelVariant.supported)
    func goldens(_ variant: KernelVariant) throws {
        #expect(goldenCaseNames.count >= 87)
        try KernelVariant.withVariant(variant) {
            #expect(KernelVariant.active == variant)
            for name in goldenCaseNames {
                try checkGoldenCase(name, "\(name) with \(variant)")
            }
        }
    }
}
