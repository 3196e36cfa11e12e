internal import CRecurrentKernels

/// The gate nonlinearities σ and tanh of the own kernels, over buffers.
///
/// The cell epilogues of `Sources/CRecurrentKernels` (kernel_body.h) compute them on
/// whole vectors with no branches and no calls into libm; these functions run the
/// same code of a given ``KernelVariant``, so that its accuracy can be tested alone.
///
/// Method (Cephes `expf`/`tanhf`, single precision):
/// - `e^x` for `x ≤ 0`: `x = n·ln2 + r`, `|r| ≤ ln2/2`, with `n` rounded by the
///   1.5·2²³ "magic number" trick and `ln2` split in two (Cody–Waite) so `r` is exact;
///   `e^r = 1 + r + r²·P(r)`, P of degree 5; `2ⁿ` is built from exponent bits (for
///   sigmoid in two halves, so that results down to the subnormal range round correctly).
/// - `σ(x) = 1/(1+E)` for `x ≥ 0` and `E/(1+E)` for `x < 0`, with `E = e^{−|x|}`:
///   no overflow, and relative accuracy also where σ is tiny.
/// - `tanh|x| = (1−E)/(1+E)` with `E = e^{−2|x|}` for `|x| ≥ 0.625`, and the odd
///   polynomial `x + x·x²·Q(x²)` below (no cancellation near 0); the sign is copied back.
///
/// Accuracy against Double, measured over all 2³² Float inputs for this algorithm without
/// FMA contraction (the earlier Swift version, which the portable variant follows operation
/// for operation): at
/// most 2.41 ulp for sigmoid and 1.51 ulp for tanh, subnormal results included; the
/// FMA variants contract some multiply-adds and stay within the same 4 ulp bound
/// `VectorMathTests` checks for every variant. NaN propagates, ±∞ give the exact
/// limits, −0 stays −0 for tanh.
enum VectorMath {
    /// `output[i] = σ(input[i])` for `i < count`; `output` may equal `input`.
    static func sigmoid(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int,
                        variant: KernelVariant = .active) {
        trk_map(variant.cValue, 0, input, output, count)
    }

    /// `output[i] = tanh(input[i])` for `i < count`; `output` may equal `input`.
    static func tanh(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int,
                     variant: KernelVariant = .active) {
        trk_map(variant.cValue, 1, input, output, count)
    }
}
